// Standard base64 (RFC 4648 §4), decoded strictly: Node's decoder skips stray characters and ignores
// padding bits, so two different texts could decode to one hash; a verifier must refuse all but one.
export function decodeBase64Strict(text: string, expectedBytes?: number): Buffer | null {
  if (typeof text !== 'string' || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return null;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return null;
  return bytes;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// A 32-byte hash is 43 digits and one "=", and its last digit's two low bits are padding, so clear: a
// lenient decoder also takes base64url digits and ignores those bits, so one hash could be spelt several
// ways. 1: a base64 digit; 2: one that may end a hash. (A table: a regular expression cost 0.4 µs a hash.)
const HASH_DIGITS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  HASH_DIGITS[c.charCodeAt(0)] = 1;
for (const c of 'AEIMQUYcgkosw048') HASH_DIGITS[c.charCodeAt(0)] = 2;

/** whether text is a 32-byte hash in canonical base64, without decoding it */
export function isHashText(text: unknown): text is string {
  if (typeof text !== 'string' || text.length !== 44 || text.charCodeAt(43) !== 61) return false;
  for (let i = 0; i < 42; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || HASH_DIGITS[c] === 0) return false;
  }
  const last = text.charCodeAt(42);
  return last < 128 && HASH_DIGITS[last] === 2;
}

/** a 32-byte hash in canonical base64 (44 characters), without re-encoding to compare */
export function decodeHashStrict(text: string): Buffer | null {
  return isHashText(text) ? Buffer.from(text, 'base64') : null;
}
