// The process's infrastructure (src/infrastructure) as Fastify decorations: fastify.pg for read-model
// queries, fastify.redis, fastify.eventStore, and connections of their own for the plugins that need one.
// Closed with the app (only what it opened itself).
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { EventStore } from '../../eventstore/eventStore.ts';
import type { Infrastructure } from '../../infrastructure/createInfrastructure.ts';

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool;
    redis: Redis;
    eventStore: EventStore;
    redisConnection: Infrastructure['redisConnection'];
    forgetCachedKeys: Infrastructure['forgetCachedKeys'];
    onKeysForgotten: Infrastructure['onKeysForgotten'];
  }
}

export const infrastructurePlugin = fp<{ infrastructure: Infrastructure }>(
  async (fastify, { infrastructure }) => {
    fastify.decorate('pg', infrastructure.pool);
    fastify.decorate('redis', infrastructure.redis);
    fastify.decorate('eventStore', infrastructure.eventStore);
    fastify.decorate('redisConnection', infrastructure.redisConnection);
    fastify.decorate('forgetCachedKeys', infrastructure.forgetCachedKeys);
    fastify.decorate('onKeysForgotten', infrastructure.onKeysForgotten);
    fastify.addHook('onClose', async () => infrastructure.close());
  },
  { name: 'infrastructure' },
);
