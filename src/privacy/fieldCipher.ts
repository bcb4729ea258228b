// One encrypted field as the event stores it: AES-256-GCM under a data key, with the event id and the
// field's path as additional data, so a ciphertext copied into another event or field does not open.
// A plaintext field is always a string, so this object is never mistaken for text (docs/privacy.md).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
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

const additionalData = (eventId: string, path: string) => Buffer.from(`${eventId}\n${path}`, 'utf8');

export function sealField(dataKey: DataKey, eventId: string, path: string, text: string): FieldEnvelope {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv).setAAD(additionalData(eventId, path));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { enc: 1, kid: dataKey.keyId, iv: iv.toString('base64url'), ct: body.toString('base64url') };
}

/** the field's text; throws when the key, event id or path is not the one it was sealed with */
export function openField(key: Buffer, eventId: string, path: string, envelope: FieldEnvelope): string {
  const body = Buffer.from(envelope.ct, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64url'))
    .setAAD(additionalData(eventId, path))
    .setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
