// Arbitrary input for the fuzz tests (fast-check): hostile strings, arbitrary JSON, and values shaped by the
// OpenAPI document's schemas so that a request gets past the first check often enough to reach the code
// behind it. Ids the service handed out are referred to by index (`Known`) and resolved when the request
// is sent, so a case stays replayable from its seed while the pool of ids grows.
import fc from 'fast-check';

/**
 * A value the service handed out (ids of the fuzzing user's rooms, messages, participants; users; the
 * positions of its writes), by index; with a pattern, one of those that match it.
 */
export class Known {
  readonly index: number;
  readonly pattern: RegExp | undefined;
  constructor(index: number, pattern?: RegExp) {
    this.index = index;
    this.pattern = pattern;
  }
}
export const known = fc.nat().map((index) => new Known(index));
const knownMatching = (pattern: string) => fc.nat().map((index) => new Known(index, new RegExp(pattern)));

/** What text may not contain, and what tends to break code that handles text. */
const HOSTILE_PIECES = [
  '\u0000',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u3164',
  '\u2028',
  '\u001b[2J',
  '\u0007',
  '\u0085',
  '\t',
  '\r\n',
  '%',
  '%00',
  '%ED%A0%80',
  '\\',
  '\\u0000',
  '"',
  "'",
  '..',
  '/',
  '?',
  '#',
  '&',
  '=',
  '😀',
  '👨‍👩‍👧',
  'שלום',
  'مرحبا',
  '中',
  'e\u0301',
  '__proto__',
  'constructor',
  '0',
  '-1',
  'null',
];
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const piece = fc.oneof(
  fc.constantFrom(...HOSTILE_PIECES),
  loneSurrogate,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: piece, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', 'x'.repeat(4_001), 'é'.repeat(20_000), 'y'.repeat(70_000)),
  },
);

/** Text any field should take, so that a case gets past validation to the code behind it. */
const ordinaryText = fc.oneof(
  fc.constantFrom('hello', 'Pool repairs', '👍', 'T-17', 'Küche – מטבח', 'spam'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
);

const HUGE_NUMBERS = [
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e21,
  1e308,
  -1e308,
  5e-324,
  -0,
  0.5,
  -1,
  Number.MAX_SAFE_INTEGER,
];
export const anyNumber = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 300 }) },
  fc.constantFrom(...HUGE_NUMBERS),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const key = fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'id'));

/** Any JSON value: nested objects and arrays, wrong types, hostile keys and strings. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    anyNumber,
    hostileText,
    known,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A body sent as it is: not JSON, or JSON nested deeper than any parser likes. */
export class RawBody {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
export const rawBody = fc
  .oneof(
    hostileText,
    fc.integer({ min: 1, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    fc.constantFrom('{', '{"a":', '[1,]', '{"__proto__":{"x":1}}', 'null', '"x"', '1e999999', '\u0000'),
  )
  .map((text) => new RawBody(text));

/** A string that decodes to something: base64url of arbitrary JSON, as a forged cursor or token would be. */
export const encodedJson = anyJson.map((value) =>
  Buffer.from(JSON.stringify(value) ?? '').toString('base64url'),
);

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  required?: string[];
};

/**
 * How a case treats each field: `plausible` gives values of the schema's type and range, so that a request
 * reaches the code behind validation (a few fields still go missing); `hostile` mixes in hostile text, huge
 * numbers, wrong types and extra fields.
 */
export type Mode = 'plausible' | 'hostile';

export function shapedBy(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  mode: Mode,
): fc.Arbitrary<unknown> {
  const value = shaped(schema, resolve, mode, 0);
  return mode === 'plausible'
    ? value
    : fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: anyJson });
}

function shaped(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  mode: Mode,
  depth: number,
): fc.Arbitrary<unknown> {
  if (depth > 6) return anyJson;
  const inner = (s: JsonSchema) => shaped(s, resolve, mode, depth + 1);
  const hostile = mode === 'hostile';
  if (schema.$ref) return inner(resolve(schema.$ref));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(inner));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) {
    return hostile
      ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...schema.enum) }, hostileText)
      : fc.constantFrom(...schema.enum);
  }
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => inner({ ...schema, type })));
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time' || schema.format === 'date') {
        // the service's own time of year, so that a plausible range or as-of reaches the code behind it
        const instant = fc
          .date({
            min: new Date('2026-01-01T00:00:00Z'),
            max: new Date('2027-12-31T23:59:59Z'),
            noInvalidDate: true,
          })
          .map((date) => (schema.format === 'date' ? date.toISOString().slice(0, 10) : date.toISOString()));
        return hostile ? fc.oneof({ weight: 3, arbitrary: instant }, hostileText, known) : instant;
      }
      if (schema.format === 'uuid') {
        const ofForm = schema.pattern ? knownMatching(schema.pattern) : known;
        return hostile
          ? fc.oneof({ weight: 4, arbitrary: ofForm }, fc.uuid(), hostileText)
          : fc.oneof({ weight: 4, arbitrary: ofForm }, fc.uuid());
      }
      return hostile
        ? fc.oneof(
            { weight: 3, arbitrary: ordinaryText },
            { weight: 3, arbitrary: hostileText },
            { weight: 1, arbitrary: known },
            { weight: 1, arbitrary: encodedJson },
          )
        : schema.pattern
          ? knownMatching(schema.pattern)
          : fc.oneof({ weight: 5, arbitrary: ordinaryText }, { weight: 1, arbitrary: known });
    case 'integer':
    case 'number':
      return hostile ? anyNumber : plausibleInteger(schema);
    case 'boolean':
      return hostile ? fc.oneof({ weight: 4, arbitrary: fc.boolean() }, anyJson) : fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? inner(schema.items) : anyJson, { maxLength: 4 });
    case 'object': {
      const fields = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, property]) => [name, inner(property)]),
      );
      // plausible: what the schema requires is there; hostile: anything may be missing
      if (!hostile) return fc.record(fields, { requiredKeys: schema.required ?? [] });
      const extra = fc.dictionary(key, anyJson, { maxKeys: 1 });
      return fc
        .tuple(
          fc.record(fields, { requiredKeys: [] }),
          fc.oneof({ weight: 6, arbitrary: fc.constant({}) }, extra),
        )
        .map(([known, unknown]) => ({ ...unknown, ...known }));
    }
    default:
      return anyJson;
  }
}

/** Within the schema's range (a `days` of at least 1, say): small values, at most 50 from its lower end. */
function plausibleInteger(schema: JsonSchema): fc.Arbitrary<number> {
  const min = Math.max(0, schema.minimum ?? 0);
  return fc.integer({ min, max: Math.max(min, Math.min(schema.maximum ?? 50, min + 50)) });
}

/** Swaps each Known for a value of the pool. */
export function resolveKnown(value: unknown, pool: readonly string[]): unknown {
  if (value instanceof Known) {
    const { pattern } = value;
    const candidates = pattern ? pool.filter((candidate) => pattern.test(candidate)) : pool;
    return candidates.length > 0
      ? candidates[value.index % candidates.length]
      : pool[value.index % pool.length];
  }
  if (Array.isArray(value)) return value.map((item) => resolveKnown(item, pool));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, resolveKnown(item, pool)]));
  }
  return value;
}

/** A value as it can stand in a URL: text percent-encoded (a lone surrogate has no UTF-8: U+FFFD). */
export function urlText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return encodeURIComponent(text.toWellFormed());
}
