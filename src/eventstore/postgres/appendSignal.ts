// "An append committed", carried to subscriptions beyond this event store instance: the projector of
// another node, or in a worker thread, would otherwise only see an append at its next poll (50 ms).
// PostgreSQL's NOTIFY would do it, but inside the append transaction it takes a cluster-wide lock at
// commit (docs/eventstore.md), so the signal goes through Redis, which every node has anyway.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export type AppendSignal = {
  /** an append of this instance committed (called once per committed group) */
  appended(): void;
  /** calls `wake` whenever an instance signalled an append; returns what stops listening */
  onAppended(wake: () => void): () => Promise<void>;
};

export type RedisAppendSignalOptions = {
  /** publishes the signal (a connection shared with other work is fine) */
  redis: Redis;
  /** the channel is `${prefix}es:appended`: deployments sharing a Redis keep apart */
  prefix: string;
  logger?: { warn(object: object, message: string): void };
};

/**
 * One PUBLISH per event-loop turn however many groups committed in it (a group commit already carries
 * many appends); listeners subscribe on a connection of their own (a subscribed connection does nothing
 * else). The signal is a hint: a lost one costs a poll interval, never an event.
 */
export function createRedisAppendSignal({ redis, prefix, logger }: RedisAppendSignalOptions): AppendSignal {
  const channel = `${prefix}es:appended`;
  // an instance's own appends wake its subscriptions directly: it ignores the echo of its own signal
  const instance = randomUUID();
  let pending = false;
  const publish = () => {
    pending = false;
    redis.publish(channel, instance).catch((error: unknown) => {
      logger?.warn({ err: error }, 'publishing the append signal failed; other nodes poll');
    });
  };
  return {
    appended() {
      if (pending) return;
      pending = true;
      setImmediate(publish);
    },
    onAppended(wake) {
      // no command timeout (the shared connection's second would, on a busy or reconnecting node, fail the
      // SUBSCRIBE and leave this node polling for good): it waits for a connection, and ioredis subscribes
      // again after every reconnect
      const subscriber = redis.duplicate({
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        commandTimeout: undefined,
      });
      subscriber.on('error', (error) => logger?.warn({ err: error }, 'append signal connection error'));
      const onMessage = (_channel: string, from: string) => {
        if (from !== instance) wake();
      };
      subscriber.on('message', onMessage);
      subscriber.subscribe(channel).catch((error: unknown) => {
        logger?.warn({ err: error }, 'subscribing to the append signal failed; this node polls');
      });
      return async () => {
        subscriber.removeListener('message', onMessage);
        await subscriber.quit().catch(() => subscriber.disconnect());
      };
    },
  };
}
