// "Data keys were destroyed", carried to every process on the same stores: an erasure or a retention run
// in one process must not leave another holding the destroyed keys unwrapped, or command states with the
// text they opened, in its memory (docs/privacy.md, "What other processes hold"). The process that
// destroyed keys drops its own at once; the others drop theirs when the Redis notice arrives, within a
// moment, and when they are back from a lost Redis connection (they may have missed a notice). A notice
// can still go unsent (its sender cut off from Redis, or stopped between the destruction and the
// publish), so every process also reads the key store's count of destructions every few seconds and
// drops everything when it moved: that count commits with the keys, so no destruction escapes it.
import type { Redis } from 'ioredis';
import { createRedisSignal } from '../eventstore/postgres/appendSignal.ts';
import type { KeyStore } from './keyStore.ts';

export type KeyDestructionNotice = {
  /** this process destroyed keys (and has dropped its own): tells the others */
  announce(): void;
  /**
   * calls `forget` whenever another process announced, when the connection is back after a loss, and
   * when the key store's count of destructions moved; returns what stops listening
   */
  onAnnounced(forget: () => void): () => Promise<void>;
};

export function createKeyDestructionNotice(options: {
  redis: Redis;
  /** the channel is `${prefix}privacy:keys-destroyed`: deployments sharing a Redis keep apart */
  prefix: string;
  keyStore: KeyStore;
  /** how often the count of destructions is read (0: never, only the Redis notice) */
  checkEveryMs: number;
  logger?: { warn(object: object, message: string): void };
}): KeyDestructionNotice {
  const signal = createRedisSignal({
    redis: options.redis,
    channel: `${options.prefix}privacy:keys-destroyed`,
    what: 'the notice of destroyed data keys',
    unheard: 'processes drop keys destroyed elsewhere at their next read of the count of destructions',
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    announce: () => signal.publish(),
    onAnnounced(forget) {
      const stopListening = signal.listen(forget, forget);
      const stopWatching =
        options.checkEveryMs > 0
          ? watchDestructions(options.keyStore, options.checkEveryMs, forget, options.logger)
          : async () => {};
      return async () => {
        await stopWatching();
        await stopListening();
      };
    },
  };
}

/**
 * Reads the count of destructions every `everyMs` and calls `forget` when it differs from the last one
 * read. The first read forgets too: what was cached before it (or while the key store could not be read)
 * was never compared with anything.
 */
function watchDestructions(
  keyStore: KeyStore,
  everyMs: number,
  forget: () => void,
  logger?: { warn(object: object, message: string): void },
): () => Promise<void> {
  let seen: bigint | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();
  const check = async () => {
    try {
      const destructions = await keyStore.destructions();
      if (destructions !== seen) forget();
      seen = destructions;
    } catch (error) {
      if (!stopped) logger?.warn({ err: error }, 'reading the count of data key destructions failed');
    }
    if (!stopped) timer = setTimeout(read, everyMs).unref();
  };
  const read = () => {
    reading = check();
  };
  read();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await reading;
  };
}
