// fastify.eventStore: the event store every command appends to (PostgreSQL by default, EventStoreDB when
// EVENTSTORE_URL is set).
import fp from 'fastify-plugin';
import type { Config } from '../../config.ts';
import { createEventStore } from '../../eventstore/createEventStore.ts';
import type { EventStore } from '../../eventstore/eventStore.ts';

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
    const eventStore = options.eventStore ?? (await createEventStore(options.config, { pool: fastify.pg }));
    fastify.decorate('eventStore', eventStore);
    if (!options.eventStore) fastify.addHook('onClose', async () => eventStore.close());
  },
  { name: 'event-store', dependencies: ['database'] },
);
