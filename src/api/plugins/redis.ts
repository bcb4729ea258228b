// fastify.redis: the shared Redis connection (fan-out, typing indicators, readiness). Keys are prefixed
// with config.REDIS_PREFIX by the code that writes them; pub/sub needs its own connections.
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

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

export const redisPlugin = fp<RedisPluginOptions>(
  async (fastify, options) => {
    // a request never waits forever on a Redis that is away: fail the command, let the caller decide
    const redis =
      options.redis ?? new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    redis.on('error', (error) => fastify.log.warn({ err: error }, 'Redis connection error'));
    if (!options.redis) await redis.connect();
    fastify.decorate('redis', redis);
    if (!options.redis) fastify.addHook('onClose', async () => void (await redis.quit()));
  },
  { name: 'redis' },
);
