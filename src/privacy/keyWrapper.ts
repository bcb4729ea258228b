// Envelope encryption's outer layer: data keys are stored only wrapped by a master key. This is the seam
// for a KMS or Vault: an adapter implements wrap and unwrap (the KMS holds the master key and never
// hands it out) and the key table stays as it is. The local wrapper uses master keys from configuration.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type WrappedKey = { readonly masterKeyId: string; readonly wrapped: Buffer };

export interface KeyWrapper {
  /** the master key new data keys are wrapped with */
  readonly currentMasterKeyId: string;
  wrap(dataKey: Buffer): WrappedKey;
  /** throws when the master key is not (or no longer) configured */
  unwrap(key: WrappedKey): Buffer;
}

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_CONTEXT = Buffer.from('chat-privacy/wrap/v1', 'utf8');

export class UnknownMasterKey extends Error {
  constructor(masterKeyId: string) {
    super(`master key ${masterKeyId} is not configured (PRIVACY_MASTER_KEYS)`);
    this.name = 'UnknownMasterKey';
  }
}

/**
 * AES-256-GCM under a configured master key: iv || ciphertext || tag. The master key's id is authenticated
 * too, so a wrapped key cannot be passed off as another master key's.
 */
export function createLocalKeyWrapper(
  masterKeys: ReadonlyMap<string, Buffer>,
  currentId: string,
): KeyWrapper {
  for (const [id, key] of masterKeys) {
    if (key.length !== KEY_BYTES) throw new RangeError(`master key ${id} is not ${KEY_BYTES} bytes`);
  }
  if (!masterKeys.has(currentId)) throw new UnknownMasterKey(currentId);
  const masterKey = (id: string) => {
    const key = masterKeys.get(id);
    if (!key) throw new UnknownMasterKey(id);
    return key;
  };
  const aad = (id: string) => Buffer.concat([WRAP_CONTEXT, Buffer.from(`\n${id}`, 'utf8')]);
  return {
    currentMasterKeyId: currentId,
    wrap(dataKey) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', masterKey(currentId), iv).setAAD(aad(currentId));
      const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
      return { masterKeyId: currentId, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
    },
    unwrap({ masterKeyId, wrapped }) {
      const iv = wrapped.subarray(0, IV_BYTES);
      const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
      const body = wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', masterKey(masterKeyId), iv)
        .setAAD(aad(masterKeyId))
        .setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    },
  };
}
