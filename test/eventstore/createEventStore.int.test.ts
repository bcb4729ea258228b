// The adapter a deployment gets is chosen by EVENTSTORE_URL alone: with it, nothing goes to PostgreSQL.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { createEventStore } from '../../src/eventstore/createEventStore.ts';
import type { EventToAppend } from '../../src/eventstore/eventStore.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// nothing listens on port 1: an EventStoreDB store pointed there cannot append
const UNREACHABLE_ESDB = 'kurrentdb://127.0.0.1:1?tls=false';

const event = (): EventToAppend => ({
  id: randomUUID(),
  type: 'Chosen',
  data: {},
  metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
});

describe('createEventStore', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase('create_event_store');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('without EVENTSTORE_URL appends to the PostgreSQL event store', async () => {
    const store = createEventStore({}, { pool });
    const stream = `chosen-${randomUUID()}`;
    await store.appendToStream(stream, [event()], { expectedRevision: 'no_stream' });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM events WHERE stream = $1', [stream]);
    expect(rows[0].n).toBe(1);
    await store.close();
  });

  it('with EVENTSTORE_URL uses EventStoreDB, even though PostgreSQL is up', async () => {
    const store = createEventStore({ EVENTSTORE_URL: UNREACHABLE_ESDB }, { pool });
    const stream = `chosen-${randomUUID()}`;
    await expect(store.appendToStream(stream, [event()], { expectedRevision: 'no_stream' })).rejects.toThrow(
      /UNAVAILABLE|ECONNREFUSED/,
    );
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM events WHERE stream = $1', [stream]);
    expect(rows[0].n).toBe(0);
    await store.close();
  });
});
