// RFC 8785 (JCS) canonical JSON: sorted keys (UTF-16 code units), no whitespace, ECMAScript number form.
// The serializer is the `canonicalize` package (by one of RFC 8785's authors); this module adds what our
// values need: bigints become decimal strings, and anything JSON cannot say exactly is refused here
// instead of silently dropped.
import canonicalize from 'canonicalize';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export class NotCanonicalJson extends Error {
  constructor(path: string, reason: string) {
    super(`cannot canonicalize ${path || 'the value'}: ${reason}`);
    this.name = 'NotCanonicalJson';
  }
}

/**
 * Deep copy as plain JSON: bigints as decimal strings, Dates as ISO strings, undefined members dropped,
 * object keys in canonical order (so JSON.stringify of the copy is its canonical form, unless a key is an
 * array index like "7": JavaScript puts those first whatever the insertion order).
 */
export function toJsonValue(value: unknown, path = ''): JsonValue {
  return copyJson(value, { path, trail: [], indexKey: false });
}

export function canonicalJson(value: JsonValue): string {
  const text = canonicalize(value);
  if (text === undefined) throw new NotCanonicalJson('', 'nothing to serialize');
  return text;
}

/** Members to leave out of a value's canonical form: a key maps to the concrete path of the member left
 * out (a string), or to what to leave out below it. Array elements are descended into, never left out. */
export type OmitTree = ReadonlyMap<string, OmitTree | string>;

/**
 * canonicalJson(toJsonValue(value)) with members left out: the copy, then JSON.stringify of it, which
 * is the canonical form unless a key is an array index (found while copying, not by a second walk).
 * Concatenating the text member by member instead cost twice as much. Members `omit` names are left out
 * of the copy, and each is handed to `omitted` with its path, whatever its value.
 */
export function canonicalJsonOf(
  value: unknown,
  path = '',
  omit?: OmitTree,
  omitted?: (path: string, value: unknown) => void,
): string {
  const walk: Walk = { path, trail: [], indexKey: false, ...(omitted ? { omitted } : {}) };
  const copy = copyJson(value, walk, omit);
  return walk.indexKey ? canonicalJson(copy) : JSON.stringify(copy);
}

type Walk = {
  readonly path: string;
  /** the keys and indices from `path` to the value being copied, joined only to name a failure */
  readonly trail: (string | number)[];
  indexKey: boolean;
  readonly omitted?: (path: string, value: unknown) => void;
};

function copyJson(value: unknown, walk: Walk, omit?: OmitTree): JsonValue {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw notJson(walk, 'a string with a lone surrogate');
      return value;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw notJson(walk, `the number ${value}`);
      return value;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) return value.toISOString();
      const { trail } = walk;
      if (Array.isArray(value)) {
        const items: JsonValue[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const below = omit?.get(String(i));
          trail.push(i);
          items[i] = copyJson(value[i], walk, typeof below === 'object' ? below : undefined);
          trail.pop();
        }
        return items;
      }
      const keys = Object.keys(value);
      // JSON from PostgreSQL's jsonb comes shortest key first: sort only what is out of order
      for (let i = 1; i < keys.length; i++) {
        if (keys[i - 1]! > keys[i]!) {
          keys.sort();
          break;
        }
      }
      const copy: { [key: string]: JsonValue } = {};
      for (const key of keys) {
        const member = (value as Record<string, unknown>)[key];
        const below = omit?.get(key);
        if (typeof below === 'string') {
          walk.omitted?.(below, member);
          continue;
        }
        // assigning "__proto__" would set the copy's prototype, not a member: left out, as it always
        // was (leaves already in the log were hashed without it)
        if (member === undefined || key === '__proto__') continue;
        const first = key.charCodeAt(0);
        if (first >= 48 && first <= 57 && /^(0|[1-9][0-9]*)$/.test(key)) walk.indexKey = true;
        trail.push(key);
        copy[key] = copyJson(member, walk, below);
        trail.pop();
      }
      return copy;
    }
    default:
      throw notJson(walk, `a ${typeof value}`);
  }
}

function notJson(walk: Walk, reason: string): NotCanonicalJson {
  let path = walk.path;
  for (const step of walk.trail) {
    path = typeof step === 'number' ? `${path}[${step}]` : path ? `${path}.${step}` : step;
  }
  return new NotCanonicalJson(path, reason);
}
