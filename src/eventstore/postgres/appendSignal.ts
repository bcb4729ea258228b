// "An append committed", carried to subscriptions beyond this event store instance: the projector of
// another node, or in a worker thread, would otherwise only see an append at its next poll (50 ms).
// PostgreSQL's NOTIFY would do it, but inside the append transaction it takes a cluster-wide lock at
// commit (docs/eventstore.md), so the signal goes through Redis, which every node has anyway. The Redis
// side is a RedisSignal, which the notice of destroyed data keys uses too (src/privacy).
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
  // an instance's own appends wake its subscriptions directly: it ignores the echo of its own signal
  const signal = createRedisSignal({
    redis,
    channel: `${prefix}es:appended`,
    what: 'the append signal',
    unheard: 'subscriptions poll meanwhile',
    ...(logger ? { logger } : {}),
  });
  let pending = false;
  const publish = () => {
    pending = false;
    signal.publish();
  };
  return {
    appended() {
      if (pending) return;
      pending = true;
      setImmediate(publish);
    },
    onAppended: (wake) => signal.listen(wake),
  };
}

/** "Something happened" between processes on one Redis channel; each process ignores its own. */
export type RedisSignal = {
  /** tells the other processes' listeners (a failure is logged: a signal is a hint) */
  publish(): void;
  /**
   * calls `heard` on each other process's signal, and `resumed` when the listening connection is back
   * after a loss (signals meanwhile were missed); returns what stops listening
   */
  listen(heard: () => void, resumed?: () => void): () => Promise<void>;
};

export function createRedisSignal(options: {
  /** publishes (a connection shared with other work is fine); listeners get connections of their own */
  redis: Redis;
  channel: string;
  /** names the signal in warnings */
  what: string;
  /** what happens while signals are not heard, for the warnings */
  unheard: string;
  logger?: { warn(object: object, message: string): void };
}): RedisSignal {
  const { redis, channel, what, unheard, logger } = options;
  const instance = randomUUID();
  return {
    publish() {
      redis.publish(channel, instance).catch((error: unknown) => {
        logger?.warn({ err: error }, `publishing ${what} failed; ${unheard}`);
      });
    },
    listen(heard, resumed) {
      // no command timeout (the shared connection's second would, on a busy or reconnecting node, fail
      // the SUBSCRIBE and leave this node without the signal for good): it waits for a connection, and
      // ioredis subscribes again after every reconnect
      const subscriber = redis.duplicate({
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        commandTimeout: undefined,
      });
      subscriber.on('error', (error) => logger?.warn({ err: error }, `${what}: connection error`));
      const onMessage = (from: string, sender: string) => {
        if (from === channel && sender !== instance) heard();
      };
      subscriber.on('message', onMessage);
      let connected = false;
      subscriber.on('ready', () => {
        if (connected) resumed?.();
        connected = true;
      });
      subscriber.subscribe(channel).catch((error: unknown) => {
        logger?.warn({ err: error }, `subscribing to ${what} failed; ${unheard}`);
      });
      return async () => {
        subscriber.removeListener('message', onMessage);
        // QUIT waits for a connection, which never comes while Redis is away: then the socket just goes
        if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
        else subscriber.disconnect();
      };
    },
  };
}
