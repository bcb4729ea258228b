// Recorded exchanges for docs/api/CHAT_API.md: what was sent and answered, with what changes from run to
// run (ids, positions, times, tokens) replaced by stable stand-ins, and the guide's JSON blocks compared
// with (or, with UPDATE_CHAT_API=1, rewritten from) them. A block is marked in the guide by
// `<!-- recorded: NAME -->` on the line before its ```json fence.

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const POSITION = /\b\d{20}-\d{20}\b/g;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})/g;
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
const MARKER = /<!-- recorded: ([\w-]+) -->\n```json\n([\s\S]*?)\n```/g;

/**
 * Stand-ins for what changes from run to run: uuids in the order first seen (the first is always ...0001);
 * positions and times in their own order (the earliest time is 09:00:01, the next 09:00:02, ...), so the
 * guide's JSON reads in the order things happened. Build it from every recording at once.
 */
export class Normalizer {
  private readonly uuids = new Map<string, string>();
  private readonly positions = new Map<string, string>();
  private readonly times = new Map<string, string>();

  constructor(everything: unknown) {
    const text = JSON.stringify(everything);
    const positions = [...new Set(text.match(POSITION) ?? [])].sort();
    for (const [i, position] of positions.entries()) {
      this.positions.set(position, `${String((i + 1) * 1000).padStart(20, '0')}-${'0'.repeat(20)}`);
    }
    const times = [
      ...new Set((text.match(TIMESTAMP) ?? []).map((time) => new Date(time).toISOString())),
    ].sort();
    for (const [i, time] of times.entries()) {
      this.times.set(time, new Date(Date.UTC(2026, 0, 5, 9, 0, i + 1)).toISOString());
    }
  }

  text(value: string): string {
    return value
      .replace(JWT, '<access token>')
      .replace(UUID, (id) => {
        const key = id.toLowerCase();
        if (!this.uuids.has(key)) {
          this.uuids.set(key, `00000000-0000-4000-8000-${String(this.uuids.size + 1).padStart(12, '0')}`);
        }
        return this.uuids.get(key)!;
      })
      .replace(POSITION, (position) => this.positions.get(position)!)
      .replace(TIMESTAMP, (time) => this.times.get(new Date(time).toISOString())!);
  }

  value(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.value(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.value(item)]));
    }
    return value;
  }
}

export type GuideCheck = { missing: string[]; unused: string[]; stale: string[]; text: string };

/** Compares the guide's marked blocks with the recordings; `text` is the guide with every block rewritten. */
export function checkGuide(guide: string, recorded: ReadonlyMap<string, unknown>): GuideCheck {
  const seen = new Set<string>();
  const missing: string[] = [];
  const stale: string[] = [];
  const text = guide.replace(MARKER, (block, name: string, shown: string) => {
    seen.add(name);
    if (!recorded.has(name)) {
      missing.push(name);
      return block;
    }
    const json = JSON.stringify(recorded.get(name), null, 2);
    if (json !== shown) stale.push(name);
    return `<!-- recorded: ${name} -->\n\`\`\`json\n${json}\n\`\`\``;
  });
  const unused = [...recorded.keys()].filter((name) => !seen.has(name));
  return { missing, unused, stale, text };
}
