// `npm run bench -- eventstore [--seconds N] [--events N] [--batches 1,10,100] [--writers 1,8,32]`
// The PostgreSQL event store against the ceiling of the same machine: appends/s at batch sizes 1, 10, 100
// and 1, 8, 32 concurrent writers, with and without group commit; catch-up events/s reading $all in pages.
// Beside each, a bare batched INSERT/SELECT of the same payloads on a plain table (no event store rules,
// no index but the key) in the same run. Own database, dropped at the end.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import type { EventStore, Position } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { chatEvent } from './_chatEvent.ts';

const POOL_SIZE = 16;
const ROUNDS = 3;
const PAGE_SIZE = 1_000;

const RAW_TABLE_SQL = `CREATE TABLE raw_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream text NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)`;

const RAW_INSERT_SQL = `INSERT INTO raw_events (stream, event_id, event_type, data, metadata)
  SELECT $1, id, type, data, metadata FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[]) AS x(id, type, data, metadata)`;

// one stream per 100 events; room_id as the append path would set it
const FILL_EVENTS_SQL = `INSERT INTO events (stream, revision, event_id, event_type, data, metadata, room_id)
  SELECT $3 || (g / 100), g % 100, gen_random_uuid(), 'MessageSent', $1, $2, $2::jsonb ->> 'roomId'
    FROM generate_series(1, $4::int) AS g`;

const FILL_RAW_SQL = `INSERT INTO raw_events (stream, event_id, event_type, data, metadata)
  SELECT $3 || (g / 100), gen_random_uuid(), 'MessageSent', $1, $2 FROM generate_series(1, $4::int) AS g`;

const RAW_PAGE_SQL = `SELECT id, stream, event_id, event_type, data, metadata FROM raw_events
  WHERE id > $1 ORDER BY id LIMIT $2`;

/** Runs `writers` loops of `appendOnce` for `seconds`; returns events per second. */
async function measureWrites(
  writers: number,
  seconds: number,
  batch: number,
  appendOnce: () => Promise<void>,
) {
  const deadline = performance.now() + seconds * 1_000;
  const started = performance.now();
  let appends = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        await appendOnce();
        appends++;
      }
    }),
  );
  return (appends * batch) / ((performance.now() - started) / 1_000);
}

/** Runs each measurement `rounds` times, round-robin; returns each one's median. */
async function interleavedMedians(
  rounds: number,
  measurements: (() => Promise<number>)[],
): Promise<number[]> {
  const samples = measurements.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, measure] of measurements.entries()) samples[i]!.push(await measure());
  }
  return samples.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
}

const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

export async function main(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '4' },
      events: { type: 'string', default: '1000000' },
      batches: { type: 'string', default: '1,10,100' },
      writers: { type: 'string', default: '1,8,32' },
      /** the store's appendConcurrency (group commit slots); default: the store's default */
      'append-concurrency': { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const catchUpEvents = Number(values.events);
  const database = await createTestDatabase('bench_eventstore');
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  try {
    await migrate(database.url);
    await pool.query(RAW_TABLE_SQL);
    const concurrency = values['append-concurrency'];
    const store = createPostgresEventStore({
      pool,
      ...(concurrency ? { appendConcurrency: Number(concurrency) } : {}),
    });
    // every append in its own transaction, as many at once as the pool allows: what group commit saves
    const ungrouped = createPostgresEventStore({
      pool,
      appendConcurrency: Number.POSITIVE_INFINITY,
      parallelAppendEvents: 0,
    });
    const roomId = randomUUID();
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), PostgreSQL ${rows[0]!.server_version}, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at start`,
    );

    console.log('\nappends: events/s (one new stream per append, expected revision no_stream)');
    console.log('| batch | writers | event store | store, no group commit | bare INSERT | store / bare |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    const list = (text: string) => text.split(',').map(Number);
    for (const batch of list(values.batches)) {
      for (const writers of list(values.writers)) {
        const appendWith = (target: EventStore) => async () => {
          const events = Array.from({ length: batch }, () => chatEvent(roomId));
          await target.appendToStream(`message-${randomUUID()}`, events, { expectedRevision: 'no_stream' });
        };
        const bareInsert = async () => {
          const events = Array.from({ length: batch }, () => chatEvent(roomId));
          await pool.query(RAW_INSERT_SQL, [
            `message-${randomUUID()}`,
            events.map((e) => e.id),
            events.map((e) => e.type),
            events.map((e) => JSON.stringify(e.data)),
            events.map((e) => JSON.stringify(e.metadata)),
          ]);
        };
        // The machine is shared: interleave short slices of the three and take each one's median, so a
        // burst of load elsewhere hits all three alike instead of whichever ran at that moment.
        const [ours = 0, alone = 0, bare = 0] = await interleavedMedians(ROUNDS, [
          () => measureWrites(writers, seconds / ROUNDS, batch, appendWith(store)),
          () => measureWrites(writers, seconds / ROUNDS, batch, appendWith(ungrouped)),
          () => measureWrites(writers, seconds / ROUNDS, batch, bareInsert),
        ]);
        console.log(
          `| ${batch} | ${writers} | ${rate(ours)} | ${rate(alone)} | ${rate(bare)} | ${percent(ours, bare)} |`,
        );
      }
    }

    // Fill both tables up to the catch-up size with server-side inserts (100,000 rows per transaction).
    const template = chatEvent(roomId);
    const payload = [JSON.stringify(template.data), JSON.stringify(template.metadata)];
    for (const [table, fill] of [
      ['events', FILL_EVENTS_SQL],
      ['raw_events', FILL_RAW_SQL],
    ] as const) {
      const { rows: counted } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      for (let have = Number(counted[0]!.n); have < catchUpEvents; have += 100_000) {
        await pool.query(fill, [...payload, `filler-${have}-`, Math.min(100_000, catchUpEvents - have)]);
      }
    }
    await pool.query('VACUUM ANALYZE events');
    await pool.query('VACUUM ANALYZE raw_events');

    console.log(
      `\ncatch-up: reading ${catchUpEvents.toLocaleString('en-US')} events from the start in pages of ${PAGE_SIZE}`,
    );
    console.log('| reader | events | seconds | events/s | store / bare |');
    console.log('|---|---:|---:|---:|---:|');
    let started = performance.now();
    let read = 0;
    for (let after: Position | undefined; ; ) {
      const page = await store.readAll({ ...(after ? { fromPosition: after } : {}), limit: PAGE_SIZE });
      read += page.length;
      if (page.length < PAGE_SIZE || read >= catchUpEvents) break;
      after = page.at(-1)!.position;
    }
    const oursSeconds = (performance.now() - started) / 1_000;
    started = performance.now();
    let bareRead = 0;
    for (let after = '0'; ; ) {
      const page = await pool.query<{ id: string }>(RAW_PAGE_SQL, [after, PAGE_SIZE]);
      bareRead += page.rows.length;
      if (page.rows.length < PAGE_SIZE || bareRead >= catchUpEvents) break;
      after = page.rows.at(-1)!.id;
    }
    const bareSeconds = (performance.now() - started) / 1_000;
    const oursRate = read / oursSeconds;
    const bareRate = bareRead / bareSeconds;
    console.log(
      `| event store readAll | ${rate(read)} | ${oursSeconds.toFixed(1)} | ${rate(oursRate)} | ${percent(oursRate, bareRate)} |`,
    );
    console.log(
      `| bare SELECT by id | ${rate(bareRead)} | ${bareSeconds.toFixed(1)} | ${rate(bareRate)} | |`,
    );
    await store.close();
  } finally {
    await pool.end();
    await database.drop();
  }
}
