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
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new NotCanonicalJson(path, 'a string with a lone surrogate');
      return value;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalJson(path, `the number ${value}`);
      return value;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return value.map((item, i) => toJsonValue(item, `${path}[${i}]`));
      const copy: { [key: string]: JsonValue } = {};
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined) copy[key] = toJsonValue(member, path ? `${path}.${key}` : key);
      }
      return copy;
    }
    default:
      throw new NotCanonicalJson(path, `a ${typeof value}`);
  }
}

export function canonicalJson(value: JsonValue): string {
  const text = canonicalize(value);
  if (text === undefined) throw new NotCanonicalJson('', 'nothing to serialize');
  return text;
}
