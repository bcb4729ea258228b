// fastify.redis: the shared Redis connection (fan-out, typing indicators, readiness). Keys are prefixed
// with config.REDIS_PREFIX by the code that writes them; pub/sub needs its own connections.
import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';
import { errorSummary } from '../../dependencyErrors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export type RedisPluginOptions = {
  redisUrl: string;
  /** a client owned by the caller: not closed with the app */
  redis?: Redis;
};

/**
 * Every connection that runs commands (this one, the projector thread's): a request never waits on a Redis
 * that is away. A command queued while the connection is down fails after two reconnect attempts, and
 * any command fails after a second without an answer (a Redis that accepts connections but does not
 * answer would otherwise hold it forever). Connections duplicated from it (pub/sub) inherit the timeout, so
 * a socket joining a room while Redis is away is told so instead of waiting.
 */
export const REDIS_COMMAND_OPTIONS = {
  maxRetriesPerRequest: 2,
  commandTimeout: 1_000,
} satisfies RedisOptions;

export const redisPlugin = fp<RedisPluginOptions>(
  async (fastify, options) => {
    const redis =
      options.redis ?? new Redis(options.redisUrl, { ...REDIS_COMMAND_OPTIONS, lazyConnect: true });
    redis.on('error', (error) => fastify.log.warn({ cause: errorSummary(error) }, 'Redis connection error'));
    if (!options.redis) await redis.connect();
    fastify.decorate('redis', redis);
    if (!options.redis) fastify.addHook('onClose', async () => void (await redis.quit()));
  },
  { name: 'redis' },
);
