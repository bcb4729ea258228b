// fastify.eventStore: the event store every command appends to (PostgreSQL by default, EventStoreDB when
// EVENTSTORE_URL is set).
import fp from 'fastify-plugin';
import type { Config } from '../../config.ts';
import { createEventStore } from '../../eventstore/createEventStore.ts';
import type { EventStore } from '../../eventstore/eventStore.ts';
import { createRedisAppendSignal } from '../../eventstore/postgres/appendSignal.ts';

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore;
  }
}

export type EventStorePluginOptions = {
  config: Config;
  /** a store owned by the caller: not closed with the app */
  eventStore?: EventStore;
};

export const eventStorePlugin = fp<EventStorePluginOptions>(
  async (fastify, options) => {
    // nodes wake each other's projector through Redis when they append (else it polls every 50 ms)
    const appendSignal = createRedisAppendSignal({
      redis: fastify.redis,
      prefix: options.config.REDIS_PREFIX,
      logger: fastify.log,
    });
    const eventStore =
      options.eventStore ?? createEventStore(options.config, { pool: fastify.pg, appendSignal });
    fastify.decorate('eventStore', eventStore);
    if (!options.eventStore) fastify.addHook('onClose', async () => eventStore.close());
  },
  { name: 'event-store', dependencies: ['database', 'redis'] },
);
