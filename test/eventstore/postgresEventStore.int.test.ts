// The event store contract against PostgreSQL (own database), plus what only PostgreSQL can show: a
// reader that pages by the sequence alone loses an event that commits late, and ours does not.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/eventstore/eventStore.ts';
import {
  createPostgresEventStore,
  TransactionIdsAheadOfCluster,
} from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase } from '../support/database.ts';
import { describeEventStoreContract } from './eventStoreContract.ts';

const database = await createTestDatabase('eventstore');
await migrate(database.url);
afterAll(() => database.drop());

function postgresStore(appendConcurrency?: number) {
  return async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 20 });
    const store = createPostgresEventStore({ pool, ...(appendConcurrency ? { appendConcurrency } : {}) });
    return {
      store,
      async teardown() {
        await store.close();
        await pool.end();
      },
    };
  };
}

describeEventStoreContract('PostgreSQL', postgresStore());
// one append transaction at a time: concurrent appends are committed in groups, which must not change
// any outcome (conflicts, idempotent retries, order)
describeEventStoreContract('PostgreSQL, group commit only', postgresStore(1));

const event = (type: string): EventToAppend => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
});

describe('PostgreSQL event store: an event that commits late', () => {
  let pool: pg.Pool;
  let store: EventStore;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    store = createPostgresEventStore({ pool });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  /** What a reader that checkpoints the sequence alone does: everything with a larger global_position. */
  async function naiveRead(prefix: string, after: bigint) {
    const { rows } = await pool.query<{ event_id: string; global_position: string }>(
      `SELECT event_id, global_position FROM events
        WHERE global_position > $1 AND stream LIKE $2 ORDER BY global_position`,
      [after.toString(), `${prefix}%`],
    );
    return rows.map((row) => ({ id: row.event_id, position: BigInt(row.global_position) }));
  }

  it('is lost by a reader paging by sequence, and read in order by ours', async () => {
    const prefix = `late-${randomUUID().slice(0, 8)}-`;
    const [early, late] = [event('CommittedFirst'), event('CommittedLate')];
    const start = await store.headPosition();
    const filter = { streamPrefixes: [prefix] };

    // T1 takes the lower sequence value and holds its transaction open while T2 commits.
    const t1 = await pool.connect();
    try {
      await t1.query('BEGIN');
      await t1.query(
        `SELECT * FROM es_append(ARRAY[$1], ARRAY['no_stream'], ARRAY[1], ARRAY[$2]::uuid[], ARRAY[$3],
           ARRAY['{}']::jsonb[], ARRAY[$4]::jsonb[])`,
        [`${prefix}t1`, late.id, late.type, JSON.stringify(late.metadata)],
      );
      await store.appendToStream(`${prefix}t2`, [early], { expectedRevision: 'no_stream' });

      const naiveFirst = await naiveRead(prefix, 0n);
      const oursFirst = await store.readAll({ ...(start ? { fromPosition: start } : {}), filter });
      expect(naiveFirst.map((e) => e.id)).toEqual([early.id]);
      expect(oursFirst).toEqual([]); // T1 still runs: nothing after it may be handed out yet
      await t1.query('COMMIT');

      const naiveThen = await naiveRead(prefix, naiveFirst.at(-1)!.position);
      expect(naiveThen).toEqual([]); // T1's event sits below the naive checkpoint: skipped for good

      let ours: RecordedEvent[] = [];
      while (ours.length < 2)
        ours = await store.readAll({ ...(start ? { fromPosition: start } : {}), filter });
      expect(ours.map((e) => e.id)).toEqual([late.id, early.id]);
    } finally {
      t1.release();
    }
  });
});

describe('PostgreSQL event store: a database restored into another cluster', () => {
  it('refuses appends and $all reads while stored transaction ids are ahead of the cluster', async () => {
    const restored = await createTestDatabase('eventstore_restored');
    const pool = new pg.Pool({ connectionString: restored.url, max: 2 });
    try {
      await migrate(restored.url);
      // what a restore from a busier cluster leaves: a row whose transaction id this cluster never issued
      await pool.query(
        `INSERT INTO events (transaction_id, stream, revision, event_id, event_type, data, metadata)
         VALUES ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000)::text::xid8,
                 'restored-1', 0, gen_random_uuid(), 'Old', '{}', '{}')`,
      );
      const store = createPostgresEventStore({ pool });
      const append = store.appendToStream('fresh-1', [event('New')], { expectedRevision: 'no_stream' });
      await expect(append).rejects.toBeInstanceOf(TransactionIdsAheadOfCluster);
      await expect(store.readAll({ limit: 10 })).rejects.toThrow(/restored from a dump/);
      expect(await store.readStream('fresh-1')).toEqual([]);
    } finally {
      await pool.end();
      await restored.drop();
    }
  });
});
