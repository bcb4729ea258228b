// An event's encrypted fields as the event stores them: AES-256-GCM under a data key (docs/privacy.md, "The
// envelope and the tombstone"). The fields of one event under one key are sealed together, in one
// envelope that the first of them holds and the others refer to: Node's cipher calls cost about 10 us
// per seal or open whatever the length, and a message's body and sender name share a key. The event id
// is the additional data, and the plaintext names each field's path, so a ciphertext copied into another
// event does not open and a reference moved to another field opens nothing. Envelopes of the first
// format (one per field, the path in the additional data) still open. A plaintext field is always a
// string, so none of these objects is ever mistaken for text.
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import type { DataKey } from './keyStore.ts';

/** the first format: one field sealed alone, its path in the additional data */
export type FieldEnvelope = {
  readonly enc: 1;
  /** the data key's id in the KeyStore */
  readonly kid: string;
  /** 12 bytes, base64url */
  readonly iv: string;
  /** ciphertext then the 16-byte tag, base64url */
  readonly ct: string;
};

/** fields sealed together: the ciphertext of a JSON object from each field's path to its text */
export type SharedEnvelope = {
  readonly enc: 2;
  readonly kid: string;
  readonly iv: string;
  readonly ct: string;
};

/** a field sealed in the envelope that the field at path `in` of the same event holds */
export type FieldReference = { readonly enc: 2; readonly in: string };

export type SealedField = FieldEnvelope | SharedEnvelope | FieldReference;

/**
 * A data key ready for the cipher. Node turns a raw key into a KeyObject on every createCipheriv, and
 * that took a third of the time of sealing or opening a field (docs/performance.md): keys are cached
 * in this form.
 */
export type CipherKey = { readonly keyId: string; readonly key: KeyObject };

export const cipherKeyOf = (dataKey: DataKey): CipherKey => ({
  keyId: dataKey.keyId,
  key: createSecretKey(dataKey.key),
});

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** an envelope or a reference to one: what stands in an event for an encrypted field */
export function isSealedField(value: unknown): value is SealedField {
  if (value === null || typeof value !== 'object') return false;
  const sealed = value as Record<string, unknown>;
  if (sealed.enc === 2 && typeof sealed.in === 'string') return true;
  return (
    (sealed.enc === 1 || sealed.enc === 2) &&
    typeof sealed.kid === 'string' &&
    typeof sealed.iv === 'string' &&
    typeof sealed.ct === 'string'
  );
}

// IVs are cut from a pool refilled in one call: one randomBytes(12) per field was a system call per
// sealed field, and under load it cost as much as the cipher itself
const ivPool = Buffer.alloc(IV_BYTES * 512);
let ivOffset = ivPool.length;

function freshIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

const additionalData = (eventId: string, path: string) => Buffer.from(`${eventId}\n${path}`, 'utf8');

function seal(dataKey: CipherKey, additional: Buffer, plaintext: string): { iv: string; ct: string } {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv).setAAD(additional);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { iv: iv.toString('base64url'), ct: body.toString('base64url') };
}

function open(key: KeyObject, additional: Buffer, envelope: { iv: string; ct: string }): string {
  const body = Buffer.from(envelope.ct, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64url'))
    .setAAD(additional)
    .setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}

/**
 * One envelope for fields of one event under one key (path to text): the first field holds it and each
 * other one a reference to the first's path.
 */
export function sealFields(
  dataKey: CipherKey,
  eventId: string,
  texts: readonly (readonly [path: string, text: string])[],
): SealedField[] {
  const envelope: SharedEnvelope = {
    enc: 2,
    kid: dataKey.keyId,
    ...seal(dataKey, Buffer.from(eventId, 'utf8'), JSON.stringify(Object.fromEntries(texts))),
  };
  const first = texts[0]![0];
  return texts.map((_, i) => (i === 0 ? envelope : { enc: 2, in: first }));
}

/** an envelope's texts by path; throws when the key or event id is not the one it was sealed with */
export function openEnvelope(
  key: KeyObject,
  eventId: string,
  path: string,
  envelope: FieldEnvelope | SharedEnvelope,
): ReadonlyMap<string, string> {
  if (envelope.enc === 1) return new Map([[path, open(key, additionalData(eventId, path), envelope)]]);
  const texts: unknown = JSON.parse(open(key, Buffer.from(eventId, 'utf8'), envelope));
  if (texts === null || typeof texts !== 'object' || Array.isArray(texts))
    throw new Error(`event ${eventId}: an envelope that holds no texts`);
  return new Map(
    Object.entries(texts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
