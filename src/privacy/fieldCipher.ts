// One encrypted field as the event stores it: AES-256-GCM under a data key, with the event id and the
// field's path as additional data, so a ciphertext copied into another event or field does not open.
// A plaintext field is always a string, so this object is never mistaken for text (docs/privacy.md).
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import type { DataKey } from './keyStore.ts';

export type FieldEnvelope = {
  readonly enc: 1;
  /** the data key's id in the KeyStore */
  readonly kid: string;
  /** 12 bytes, base64url */
  readonly iv: string;
  /** ciphertext then the 16-byte tag, base64url */
  readonly ct: string;
};

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

export function isFieldEnvelope(value: unknown): value is FieldEnvelope {
  if (value === null || typeof value !== 'object') return false;
  const envelope = value as Record<string, unknown>;
  return (
    envelope.enc === 1 &&
    typeof envelope.kid === 'string' &&
    typeof envelope.iv === 'string' &&
    typeof envelope.ct === 'string'
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

export function sealField(dataKey: CipherKey, eventId: string, path: string, text: string): FieldEnvelope {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv).setAAD(additionalData(eventId, path));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { enc: 1, kid: dataKey.keyId, iv: iv.toString('base64url'), ct: body.toString('base64url') };
}

/** the field's text; throws when the key, event id or path is not the one it was sealed with */
export function openField(key: KeyObject, eventId: string, path: string, envelope: FieldEnvelope): string {
  const body = Buffer.from(envelope.ct, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64url'))
    .setAAD(additionalData(eventId, path))
    .setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
