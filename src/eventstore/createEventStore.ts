// Picks the event store adapter from configuration: EventStoreDB/KurrentDB when EVENTSTORE_URL is set,
// otherwise the PostgreSQL store in the application's own database.
import type pg from 'pg';
import { createEsdbEventStore } from './esdb/esdbEventStore.ts';
import type { EventStore } from './eventStore.ts';
import type { AppendSignal } from './postgres/appendSignal.ts';
import { createPostgresEventStore } from './postgres/postgresEventStore.ts';

export function createEventStore(
  config: { EVENTSTORE_URL?: string },
  deps: { pool: pg.Pool; appendSignal?: AppendSignal },
): EventStore {
  if (config.EVENTSTORE_URL) return createEsdbEventStore({ connectionString: config.EVENTSTORE_URL });
  return createPostgresEventStore({
    pool: deps.pool,
    ...(deps.appendSignal ? { appendSignal: deps.appendSignal } : {}),
  });
}
