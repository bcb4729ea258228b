// "Data keys were destroyed", carried to every process on the same stores: an erasure or a retention run
// in one process must not leave another holding the destroyed keys unwrapped, or command states with the
// text they opened, in its memory (docs/privacy.md, "What other processes hold"). The process that
// destroyed keys drops its own at once; the others drop theirs when the notice arrives, within a moment.
// A process whose connection to Redis was lost drops everything when it is back (it may have missed a
// notice); a notice its sender could not publish is bounded by the key caches' time to live
// (encryptingEventStore.ts) and by the events of the destruction, which every reader of them acts on.
import type { Redis } from 'ioredis';
import { createRedisSignal } from '../eventstore/postgres/appendSignal.ts';

export type KeyDestructionNotice = {
  /** this process destroyed keys (and has dropped its own): tells the others */
  announce(): void;
  /**
   * calls `forget` whenever another process announced, and when the connection is back after a loss;
   * returns what stops listening
   */
  onAnnounced(forget: () => void): () => Promise<void>;
};

export function createRedisKeyDestructionNotice(options: {
  redis: Redis;
  /** the channel is `${prefix}privacy:keys-destroyed`: deployments sharing a Redis keep apart */
  prefix: string;
  logger?: { warn(object: object, message: string): void };
}): KeyDestructionNotice {
  const signal = createRedisSignal({
    redis: options.redis,
    channel: `${options.prefix}privacy:keys-destroyed`,
    what: 'the notice of destroyed data keys',
    unheard: 'processes drop keys destroyed elsewhere within the key cache lifetime',
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    announce: () => signal.publish(),
    onAnnounced: (forget) => signal.listen(forget, forget),
  };
}
