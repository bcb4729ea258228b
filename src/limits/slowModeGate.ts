// Slow mode's slots (src/commands/slowModeGate.ts) on Redis, shared by every node: a participant's slot in a
// room is a key holding the id of the message that took it, expiring after the room's slow_mode_seconds.
// While Redis is unreachable a node holds the slots in memory, as the rate limits' insurance does: slow
// mode then holds per node, never not at all and never refusing everyone.
import type { Redis } from 'ioredis';
import type { SlowModeGate, SlowModeSlot } from '../commands/slowModeGate.ts';

/** A participant sent within the room's slow mode: the next message may go after `retryAfterMs`. */
export class SlowModeActive extends Error {
  override readonly name = 'SlowModeActive';
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(`Slow mode: you can send your next message in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.retryAfterMs = retryAfterMs;
  }
}

// 0: taken (or already held for this message); otherwise the milliseconds until the holder's slot ends
const RESERVE = `
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then return 0 end
if held then return math.max(1, redis.call('PTTL', KEYS[1])) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Slots kept in memory while Redis is away; expired ones are dropped once there are this many. */
const MAX_LOCAL_SLOTS = 10_000;

export function createSlowModeGate(redis: Redis, prefix: string): SlowModeGate {
  const local = new Map<string, { messageId: string; untilMs: number }>();
  const keyOf = (slot: SlowModeSlot) => `${prefix}slow:${slot.roomId}:${slot.userId}`;

  async function onRedis<T>(script: string, slot: SlowModeSlot, ...args: string[]): Promise<T | undefined> {
    if (redis.status !== 'ready') return undefined;
    try {
      return (await redis.eval(script, 1, keyOf(slot), slot.messageId, ...args)) as T;
    } catch {
      return undefined; // a command that failed or timed out: this node decides alone
    }
  }

  function reserveLocally(slot: SlowModeSlot): number {
    const now = Date.now();
    if (local.size >= MAX_LOCAL_SLOTS) {
      for (const [key, held] of local) if (held.untilMs <= now) local.delete(key);
    }
    const key = keyOf(slot);
    const held = local.get(key);
    if (held && held.untilMs > now && held.messageId !== slot.messageId) return held.untilMs - now;
    if (!held || held.untilMs <= now)
      local.set(key, { messageId: slot.messageId, untilMs: now + slot.seconds * 1000 });
    return 0;
  }

  return {
    async reserve(slot) {
      const waitMs =
        (await onRedis<number>(RESERVE, slot, String(slot.seconds * 1000))) ?? reserveLocally(slot);
      if (waitMs > 0) throw new SlowModeActive(waitMs);
    },
    async release(slot) {
      await onRedis(RELEASE, slot);
      const held = local.get(keyOf(slot));
      if (held?.messageId === slot.messageId) local.delete(keyOf(slot));
    },
  };
}
