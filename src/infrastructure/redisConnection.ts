// Redis connections with the settings each use needs. A connection that runs commands never makes a
// request wait on a Redis that is away: a command queued while it is down fails after two reconnect
// attempts, and any command fails after a second without an answer (a Redis that accepts connections but
// does not answer would otherwise hold it forever). One that holds subscriptions queues and retries
// forever (sockets are told when it drops) but a subscribe still fails after a second, so a socket joining
// a room while Redis is away is told so instead of waiting. BullMQ's blocking commands need neither limit.
import { Redis, type RedisOptions } from 'ioredis';
import { errorSummary } from '../errors/dependencyErrors.ts';

export type RedisUse = 'commands' | 'subscriber' | 'jobs';

const SETTINGS: Record<RedisUse, RedisOptions> = {
  // the commands of one event-loop turn go out in one write: one per command (a rate limit per send, a
  // publish per append) was a fifth of the main thread's time under load (docs/performance.md)
  commands: { maxRetriesPerRequest: 2, commandTimeout: 1_000, enableAutoPipelining: true },
  subscriber: { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: 1_000 },
  jobs: { maxRetriesPerRequest: null, enableOfflineQueue: true },
};

export function createRedisConnection(
  url: string,
  use: RedisUse,
  name: string,
  logger: { warn(object: object, message: string): void },
): Redis {
  const redis = new Redis(url, { ...SETTINGS[use], connectionName: name, lazyConnect: true });
  redis.on('error', (error) =>
    logger.warn({ cause: errorSummary(error), connection: name }, 'Redis connection error'),
  );
  return redis;
}
