// C2SP signed-note with Ed25519 (signature type 0x01): text ending in a newline, a blank line, then
// lines "— <key name> <base64(4-byte key ID || signature)>". Keys are written as Go's sumdb/note writes
// them: verifier "<name>+<hex key ID>+<base64(0x01 || public key)>", signer
// "PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>".
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';

const ED25519 = 0x01;
const EM_DASH = '\u2014';
const MAX_SIGNATURES = 100;
// PKCS#8 / SPKI wrappers of a raw Ed25519 seed / public key (RFC 8410)
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export class NoteError extends Error {
  readonly code: 'malformed_note' | 'malformed_key' | 'no_trusted_signature' | 'invalid_signature';
  constructor(code: NoteError['code'], message: string) {
    super(message);
    this.name = 'NoteError';
    this.code = code;
  }
}

export type NoteVerifier = { readonly name: string; readonly keyId: Buffer; readonly publicKey: KeyObject };
export type NoteSigner = NoteVerifier & { readonly privateKey: KeyObject };

export function generateNoteKeys(name: string): { signerKey: string; verifierKey: string } {
  checkKeyName(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  const raw = rawPublicKey(publicKey);
  const keyId = keyIdOf(name, raw).toString('hex');
  return {
    signerKey: `PRIVATE+KEY+${name}+${keyId}+${encodeBase64(Buffer.concat([Buffer.from([ED25519]), seed]))}`,
    verifierKey: `${name}+${keyId}+${encodeBase64(Buffer.concat([Buffer.from([ED25519]), raw]))}`,
  };
}

export function parseVerifierKey(text: string): NoteVerifier {
  // the name has no '+'; the base64 key may
  const match = /^([^+]+)\+([^+]+)\+(.+)$/s.exec(text);
  if (!match) throw new NoteError('malformed_key', 'a verifier key is <name>+<key ID>+<key>');
  const [, name, keyIdHex, keyText] = match as unknown as [string, string, string, string];
  const key = keyBytes(name, keyIdHex, keyText);
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, key]),
    format: 'der',
    type: 'spki',
  });
  return { name, keyId: Buffer.from(keyIdHex, 'hex'), publicKey };
}

export function parseSignerKey(text: string): NoteSigner {
  const match = /^PRIVATE\+KEY\+([^+]+)\+([^+]+)\+(.+)$/s.exec(text);
  if (!match) throw new NoteError('malformed_key', 'a signer key is PRIVATE+KEY+<name>+<key ID>+<key>');
  const [, name, keyIdHex, keyText] = match as unknown as [string, string, string, string];
  const seed = decodeBase64Strict(keyText, 33);
  if (seed === null || seed[0] !== ED25519) throw new NoteError('malformed_key', 'not an Ed25519 signer key');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  checkKeyName(name);
  const keyId = keyIdOf(name, rawPublicKey(publicKey));
  if (keyId.toString('hex') !== keyIdHex)
    throw new NoteError('malformed_key', 'the key ID does not match the key');
  return { name, keyId, publicKey, privateKey };
}

/** the verifier key of a signer key: what to hand to whoever verifies */
export function verifierKeyOf(signer: NoteSigner): string {
  const raw = rawPublicKey(signer.publicKey);
  return `${signer.name}+${signer.keyId.toString('hex')}+${encodeBase64(Buffer.concat([Buffer.from([ED25519]), raw]))}`;
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw new NoteError('malformed_note', 'a note needs at least one signature');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    const signature = sign(null, message, s.privateKey);
    return `${EM_DASH} ${s.name} ${encodeBase64(Buffer.concat([s.keyId, signature]))}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

export type OpenedNote = { readonly text: string; readonly verifiedBy: readonly string[] };

/**
 * The text of a note signed by at least one of the verifiers. Signatures of unknown keys are ignored;
 * one of a known key that fails rejects the note (C2SP signed-note "SHOULD").
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  if (!note.endsWith('\n')) throw new NoteError('malformed_note', 'a note ends with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed_note', 'a note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  checkNoteText(text);
  const signatureLines = note.slice(split + 2, -1).split('\n');
  if (signatureLines.length > MAX_SIGNATURES) throw new NoteError('malformed_note', 'too many signatures');
  const message = Buffer.from(text, 'utf8');
  const verifiedBy: string[] = [];
  for (const line of signatureLines) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    const bytes = match ? decodeBase64Strict(match[2]!) : null;
    if (!match || bytes === null || bytes.length < 5 || match[1]!.includes('+')) {
      throw new NoteError('malformed_note', `not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const name = match[1]!;
    const keyId = bytes.subarray(0, 4);
    const verifier = verifiers.find((v) => v.name === name && v.keyId.equals(keyId));
    if (verifier === undefined) continue;
    if (!verify(null, message, verifier.publicKey, bytes.subarray(4))) {
      throw new NoteError(
        'invalid_signature',
        `the signature of ${name}+${keyId.toString('hex')} does not verify`,
      );
    }
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) {
    throw new NoteError(
      'no_trusted_signature',
      'no signature of a trusted key (wrong key, or a forged note)',
    );
  }
  return { text, verifiedBy };
}

function keyBytes(name: string, keyIdHex: string, keyText: string): Buffer {
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(keyIdHex))
    throw new NoteError('malformed_key', 'the key ID is 8 lowercase hex digits');
  const key = decodeBase64Strict(keyText, 33);
  if (key === null || key[0] !== ED25519) throw new NoteError('malformed_key', 'not an Ed25519 verifier key');
  const raw = key.subarray(1);
  if (keyIdOf(name, raw).toString('hex') !== keyIdHex) {
    throw new NoteError('malformed_key', 'the key ID does not match the key');
  }
  return raw;
}

function keyIdOf(name: string, rawKey: Buffer): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519]))
    .update(rawKey)
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
}

function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || !name.isWellFormed()) {
    throw new NoteError('malformed_key', 'a key name is non-empty, without spaces or "+"');
  }
}

function checkNoteText(text: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (!text.endsWith('\n') || !text.isWellFormed() || /[\u0000-\u0009\u000b-\u001f]/.test(text)) {
    throw new NoteError(
      'malformed_note',
      'note text is UTF-8 ending in a newline, with no control characters',
    );
  }
}
