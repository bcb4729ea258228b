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

// Characters whose value has its two low bits clear: the only ones that may end the 43 digits of a
// 32-byte hash, whose last two bits are padding.
const HASH_LAST_DIGITS = new Set('AEIMQUYcgkosw048');

/** a 32-byte hash in canonical base64 (44 characters), without re-encoding to compare */
export function decodeHashStrict(text: string): Buffer | null {
  if (
    typeof text !== 'string' ||
    text.length !== 44 ||
    text[43] !== '=' ||
    !HASH_LAST_DIGITS.has(text[42]!)
  ) {
    return null;
  }
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes : null;
}
