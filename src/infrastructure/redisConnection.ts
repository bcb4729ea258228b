// Redis connections with the settings each use needs. A connection that serves requests fails a command
// fast when Redis is away (the caller decides what to do); one that holds subscriptions retries forever
// (sockets are told when it drops); BullMQ's blocking commands need no retry limit at all.
import { Redis, type RedisOptions } from 'ioredis';

export type RedisUse = 'commands' | 'subscriber' | 'jobs';

const SETTINGS: Record<RedisUse, RedisOptions> = {
  commands: { maxRetriesPerRequest: 2 },
  subscriber: { maxRetriesPerRequest: null, enableOfflineQueue: true },
  jobs: { maxRetriesPerRequest: null, enableOfflineQueue: true },
};

export function createRedisConnection(
  url: string,
  use: RedisUse,
  name: string,
  logger: { warn(object: object, message: string): void },
): Redis {
  const redis = new Redis(url, { ...SETTINGS[use], connectionName: name, lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error, connection: name }, 'Redis connection error'));
  return redis;
}
