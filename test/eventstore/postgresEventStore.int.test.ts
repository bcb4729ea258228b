// The event store contract against PostgreSQL (own database), plus what only PostgreSQL can show: a
// reader that pages by the sequence alone loses an event that commits late, and ours does not.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import {
  type AppendResult,
  comparePositions,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  START,
} from '../../src/eventstore/eventStore.ts';
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
           ARRAY['{}']::jsonb[], ARRAY[$4]::jsonb[], '{}'::int[], '{}'::text[], '{}'::bigint[])`,
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

describe('PostgreSQL event store: a subscription filtered by event type', () => {
  it('says how far it went past the events it skipped, once the ones it gave are handled', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    const store = createPostgresEventStore({ pool, pollIntervalMs: 20 });
    const type = `Wanted${randomUUID().slice(0, 8)}`;
    const append = async (eventType: string) =>
      (
        await store.appendToStream(
          `filtered-${randomUUID()}`,
          [
            {
              id: randomUUID(),
              type: eventType,
              data: {},
              metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
            },
          ],
          { expectedRevision: 'no_stream' },
        )
      ).position;
    try {
      const start = await store.headPosition();
      await append('Other');
      const wanted = await append(type);
      const skipped = await append('Other');
      const subscription = store.subscribeToAll({
        ...(start ? { fromPosition: start } : {}),
        filter: { eventTypes: [type] },
      });
      const iterator = subscription[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value.map((e: { position: unknown }) => e.position)).toEqual([wanted]);
      // the consumer is still on its batch: nothing of it or past it is claimed yet (an earlier read that
      // came back empty, while other transactions of a busy cluster were in flight, may have claimed
      // the skipped event before it)
      const claimed = subscription.reached();
      expect(claimed === null || comparePositions(claimed, wanted) < 0).toBe(true);
      const next = iterator.next(); // done with the batch: the subscription goes on, past what it skips
      for (
        let waited = 0;
        comparePositions(subscription.reached() ?? START, skipped) < 0 && waited < 5_000;
        waited += 20
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(subscription.reached()).toEqual(skipped);
      const later = await append(type);
      expect((await next).value.map((e: { position: unknown }) => e.position)).toEqual([later]);
      await subscription.close();
    } finally {
      await store.close();
      await pool.end();
    }
  });
});

describe('PostgreSQL event store: group commit', () => {
  it('gives each append in one group its own outcome; a conflict does not undo its neighbours', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const store = createPostgresEventStore({ pool, appendConcurrency: 1 });
    try {
      const prefix = `group-${randomUUID().slice(0, 8)}-`;
      const [a, b] = [event('A'), event('B')];
      await store.appendToStream(`${prefix}existing`, [a, b], { expectedRevision: 'no_stream' });
      const retried = await store.appendToStream(`${prefix}retried`, [event('R')], {
        expectedRevision: 'no_stream',
      });
      const retriedEvents = await store.readStream(`${prefix}retried`);

      // the first append occupies the only slot; the next five queue and go to the database as one group
      const outcomes = await Promise.allSettled([
        store.appendToStream(`${prefix}alone`, [event('First')], { expectedRevision: 'no_stream' }),
        store.appendToStream(`${prefix}new`, [event('N1'), event('N2')], { expectedRevision: 'no_stream' }),
        store.appendToStream(`${prefix}existing`, [event('C')], { expectedRevision: 0n }),
        store.appendToStream(`${prefix}retried`, [retriedEvents[0]!], { expectedRevision: 'any' }),
        store.appendToStream(`${prefix}missing`, [event('M')], { expectedRevision: 'stream_exists' }),
        store.appendToStream(`${prefix}existing-too`, [event('E')], { expectedRevision: 'any' }),
      ]);
      const [alone, fresh, stale, retry, missing, any] = outcomes;
      expect(alone).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 0n } });
      expect(fresh).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 1n } });
      expect(stale).toMatchObject({
        status: 'rejected',
        reason: { name: 'WrongExpectedVersion', actual: 1n },
      });
      expect(retry).toEqual({ status: 'fulfilled', value: { ...retried, alreadyStored: true } });
      expect(missing).toMatchObject({
        status: 'rejected',
        reason: { name: 'WrongExpectedVersion', actual: 'no_stream' },
      });
      expect(any).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 0n } });
      // the grouped successes share one transaction, and its events are ordered as the appends arrived
      const grouped = [fresh, any].map((r) => (r.status === 'fulfilled' ? r.value.position : null));
      expect(grouped[0]!.commit).toBe(grouped[1]!.commit);
      expect(grouped[0]!.prepare).toBeLessThan(grouped[1]!.prepare);
      expect((await store.readStream(`${prefix}existing`)).map((e) => e.type)).toEqual(['A', 'B']);
      expect((await store.readStream(`${prefix}new`)).map((e) => e.type)).toEqual(['N1', 'N2']);
      expect(await store.readStream(`${prefix}retried`)).toHaveLength(1);
    } finally {
      await store.close();
      await pool.end();
    }
  });
});

describe('PostgreSQL event store: an append the database refuses', () => {
  it('fails alone: every other append of its groups is acknowledged and stored exactly once', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    // one transaction at a time: concurrent appends always share groups
    const store = createPostgresEventStore({ pool, appendConcurrency: 1 });
    try {
      const prefix = `refused-${randomUUID().slice(0, 8)}-`;
      // The store's own check reads the JSON; a NUL in the event type passes it, and PostgreSQL refuses it
      // as text (SQLSTATE 22021), rolling back the whole statement: the poison stands for any value the
      // database refuses that no check foresaw.
      const poison = (n: number) =>
        store.appendToStream(`${prefix}poison-${n}`, [event('Poison\u0000ed')], {
          expectedRevision: 'no_stream',
        });
      // rounds of appends from 16 writers to streams of their own with a poisoned one among them, arriving
      // at once: the first of a round runs alone, the rest queue behind it and go as one group
      const rounds = 20;
      const writers = 16;
      const valid: { stream: string; id: string }[] = [];
      const outcomes: PromiseSettledResult<AppendResult>[] = [];
      const refused: unknown[] = [];
      for (let round = 0; round < rounds; round++) {
        const appends: Promise<unknown>[] = [];
        for (let w = 0; w < writers; w++) {
          const stream = `${prefix}w${w}-${round}`;
          const appended = event('Valid');
          valid.push({ stream, id: appended.id });
          appends.push(
            Promise.allSettled([
              store.appendToStream(stream, [appended], { expectedRevision: 'no_stream' }),
            ]).then(([outcome]) => outcomes.push(outcome!)),
          );
          if (w === writers / 2) {
            appends.push(
              poison(round).then(
                () => refused.push('stored'),
                (error: unknown) => refused.push(error),
              ),
            );
          }
        }
        await Promise.all(appends);
      }

      expect(refused).toHaveLength(rounds);
      for (const error of refused) expect(error).toMatchObject({ name: 'error', code: '22021' });
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(failed).toEqual([]);
      const fulfilled = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : null));
      expect(fulfilled).toHaveLength(rounds * writers);
      for (const result of fulfilled)
        expect(result).toMatchObject({ nextExpectedRevision: 0n, alreadyStored: false });
      // the valid appends did share transactions: each poisoned group was split, not run one by one
      const transactions = new Set(fulfilled.map((result) => result!.position.commit));
      expect(transactions.size).toBeLessThan(rounds * writers);

      const { rows } = await pool.query<{ stream: string; event_id: string }>(
        'SELECT stream, event_id FROM events WHERE stream LIKE $1',
        [`${prefix}%`],
      );
      expect(rows.map((row) => `${row.stream} ${row.event_id}`).sort()).toEqual(
        valid.map((v) => `${v.stream} ${v.id}`).sort(),
      );
    } finally {
      await store.close();
      await pool.end();
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

describe('PostgreSQL event store: conditions are exact', () => {
  let pool: pg.Pool;
  let store: EventStore;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    store = createPostgresEventStore({ pool });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  /** es_append of one event in a transaction the test holds open (its locks stay held until COMMIT). */
  async function appendInOpenTransaction(client: pg.PoolClient, stream: string, condition?: string) {
    await client.query('BEGIN');
    const { rows } = await client.query<{ outcome: string }>(
      `SELECT outcome FROM es_append(ARRAY[$1], ARRAY['any'], ARRAY[1], ARRAY[$2]::uuid[], ARRAY['Held'],
         ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], $3::int[], $4::text[], $5::bigint[])`,
      [stream, randomUUID(), condition ? [1] : [], condition ? [condition] : [], condition ? ['0'] : []],
    );
    expect(rows[0]!.outcome).toBe('appended');
  }

  /** Resolves once some session waits for an advisory lock: the append under test is blocked there. */
  async function someoneWaitsForALock() {
    for (;;) {
      const { rows } = await pool.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('an append conditioned on a stream waits for a write to it in flight, then is refused', async () => {
    const room = `exact-${randomUUID().slice(0, 8)}`;
    await store.appendToStream(room, [event('Opened')], { expectedRevision: 'no_stream' });
    const writer = await pool.connect();
    try {
      await appendInOpenTransaction(writer, room);
      const send = store.appendToStream(`${room}-message`, [event('Sent')], {
        expectedRevision: 'no_stream',
        conditions: [{ stream: room, revision: 0n }],
      });
      send.catch(() => {}); // settled below, after the writer commits
      await someoneWaitsForALock();
      await writer.query('COMMIT');
      await expect(send).rejects.toMatchObject({ name: 'WrongExpectedVersion', stream: room, actual: 1n });
      expect(await store.readStream(`${room}-message`)).toEqual([]);
    } finally {
      writer.release();
    }
  });

  it('appends conditioned on a stream run side by side; a write to it waits and sorts after them', async () => {
    const room = `exact-${randomUUID().slice(0, 8)}`;
    await store.appendToStream(room, [event('Opened')], { expectedRevision: 'no_stream' });
    const sender = await pool.connect();
    try {
      await appendInOpenTransaction(sender, `${room}-held`, room); // holds the room's shared lock
      // another conditioned append is not held up by the first one's shared lock
      const second = await store.appendToStream(`${room}-second`, [event('Sent')], {
        expectedRevision: 'no_stream',
        conditions: [{ stream: room, revision: 0n }],
      });
      // (from here on a new conditioned append would queue behind the waiting writer: no starvation)
      const write = store.appendToStream(room, [event('Removed')], { expectedRevision: 0n });
      await someoneWaitsForALock();
      await sender.query('COMMIT');
      const removed = await write;
      const [held] = await store.readStream(`${room}-held`);
      expect(comparePositions(held!.position, removed.position)).toBeLessThan(0);
      expect(comparePositions(second.position, removed.position)).toBeLessThan(0);
    } finally {
      sender.release();
    }
  });
});

describe('PostgreSQL event store: es_append at scale', () => {
  /** 30,000 filler events in 300 streams of 100 (`{prefix}0` .. `{prefix}299`, revisions 0..99). */
  const fill = (client: pg.PoolClient, prefix: string) =>
    client.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
       SELECT $1 || (g / 100), g % 100, gen_random_uuid(), 'Filler', '{}', '{}' FROM generate_series(0, 29999) AS g`,
      [prefix],
    );

  /** Each append conditioned on another filler stream still being at its last revision (99). */
  const append = (
    client: pg.PoolClient,
    prefix: string,
    streams: string[],
    expected: string[],
    ids: string[],
  ) =>
    client.query<{ outcome: string }>(
      `SELECT outcome FROM es_append($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::jsonb[],
         $7::jsonb[], $8::int[], $9::text[], $10::bigint[])`,
      [
        streams,
        expected,
        streams.map(() => 1),
        ids,
        ids.map(() => 'New'),
        ids.map(() => '{}'),
        ids.map(() => '{}'),
        streams.map((_, i) => i + 1),
        streams.map((_, i) => `${prefix}${200 + i}`),
        streams.map(() => '99'),
      ],
    );

  /**
   * Existing streams (head lookups, idempotency and condition probes), a retry and a new stream in one
   * group; then the number of sequential scans of `events` this transaction made.
   */
  async function appendGroupAndCountScans(client: pg.PoolClient, prefix: string) {
    const { rows: old } = await client.query<{ event_id: string }>(
      'SELECT event_id FROM events WHERE stream = $1 AND revision = 0',
      [`${prefix}7`],
    );
    const { rows } = await append(
      client,
      prefix,
      [`${prefix}30`, `${prefix}7`, `${prefix}new`],
      ['99', 'any', 'no_stream'],
      [randomUUID(), old[0]!.event_id, randomUUID()],
    );
    expect(rows.map((row) => row.outcome)).toEqual(['appended', 'duplicate', 'appended']);
    const { rows: scans } = await client.query<{ seq_scan: string }>(
      `SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'events'`,
    );
    return Number(scans[0]!.seq_scan);
  }

  it('checks revisions and idempotency through indexes, never by scanning the events table', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const client = await pool.connect();
    try {
      const prefix = `scale-${randomUUID().slice(0, 8)}-`;
      await fill(client, prefix);
      await client.query('ANALYZE events');
      await client.query('BEGIN');
      for (let n = 0; n < 8; n++) await append(client, prefix, [`${prefix}${n}`], ['any'], [randomUUID()]);
      expect(await appendGroupAndCountScans(client, prefix)).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
      await pool.end();
    }
  });

  it('keeps to index probes with a plan made while the table was nearly empty', async () => {
    // es_append plans once per connection and reuses the plan (0002): a plan made on a fresh database
    // must still hold at thousands of events, with no ANALYZE in between (0001's did 4 seq scans here)
    const fresh = await createTestDatabase('eventstore_plan');
    const pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
    const client = await pool.connect();
    try {
      await migrate(fresh.url);
      const prefix = `grown-${randomUUID().slice(0, 8)}-`;
      await client.query('BEGIN');
      await append(client, prefix, [`${prefix}first`], ['no_stream'], [randomUUID()]);
      await fill(client, prefix);
      expect(await appendGroupAndCountScans(client, prefix)).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
      await pool.end();
      await fresh.drop();
    }
  });
});
