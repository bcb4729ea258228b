// A store as a year of use leaves it, for the realtime benchmark: N events (default 10 million) in
// 10,000 rooms, appended through the event store's own path (concurrent appends, which group commit
// gathers into large transactions) and projected as a deploy of new projection versions would (a takeover
// rebuild of each, the chat read models by the bulk load), in a database that is kept and reused by later
// runs (`chat_bench_store_<N>`; drop it to fill again).
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../../src/projections/changeFeed.ts';
import { prepareReadModels } from '../../src/projections/checkpoints.ts';
import { startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { chatWorkload } from '../../test/projections/support/chatWorkload.ts';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// enough for group commit to fill its transactions (1,000 events each, 4 at a time): fewer commits to wait on
const APPENDS_IN_FLIGHT = 4_000;

export type StoreSize = { events: number; bytes: number };

/** The database URL of a filled store of `events` events, filling it first when it is not there yet. */
export async function fullStore(events: number, rooms = 10_000): Promise<string> {
  const name = `chat_bench_store_${events}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS bench_fill (events bigint NOT NULL, filled boolean NOT NULL)',
    );
    const { rows } = await pool.query<{ events: string; filled: boolean }>('SELECT * FROM bench_fill');
    if (rows[0]?.filled) return databaseUrl;
    if (rows.length > 0) throw new Error(`${name} was left half filled: DROP DATABASE ${name} and run again`);
    await pool.query('INSERT INTO bench_fill VALUES ($1, false)', [events]);
    await fill(pool, events, rooms);
    await pool.query('UPDATE bench_fill SET filled = true');
    return databaseUrl;
  } finally {
    await pool.end();
  }
}

async function fill(pool: pg.Pool, events: number, rooms: number): Promise<void> {
  const eventStore = createPostgresEventStore({ pool });
  const started = performance.now();
  let appended = 0;
  const inFlight = new Set<Promise<unknown>>();
  const users = Math.max(100, rooms * 2);
  for (const { stream, event } of chatWorkload(events, { rooms, users, seed: 2026 })) {
    const append = eventStore.appendToStream(stream, [event], { expectedRevision: 'any' }).then(() => {
      inFlight.delete(append);
      appended++;
      if (appended % 500_000 === 0) {
        const seconds = (performance.now() - started) / 1000;
        console.log(`  filled ${appended} events (${Math.round(appended / seconds)} events/s)`);
      }
    });
    inFlight.add(append);
    if (inFlight.size >= APPENDS_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  console.log(
    `  filled ${appended} events in ${((performance.now() - started) / 1000).toFixed(0)} s; projecting`,
  );
  // the live projector took 34 minutes over 10 million events (4,940 events/s); each projection marked one
  // version behind is rebuilt instead, with nothing projecting live meanwhile, which is what the bulk load is
  // for (docs/projections.md): minutes, with the bulk's bounded memory
  const head = encodePosition((await eventStore.headPosition())!);
  await prepareReadModels(pool, PROJECTIONS);
  for (const projection of PROJECTIONS) {
    await pool.query('UPDATE projection_checkpoints SET version = $1 WHERE name = $2', [
      projection.version - 1,
      projection.name,
    ]);
  }
  const runner = await startProjections({
    pool,
    eventStore,
    projections: PROJECTIONS,
    publisher: discardChanges,
  });
  const projecting = performance.now();
  for (const projection of PROJECTIONS) {
    if (!(await waitForPosition(pool, head, 24 * 3_600_000, projection.name)))
      throw new Error(`${projection.name} did not catch up`);
  }
  console.log(`  projected in ${((performance.now() - projecting) / 1000).toFixed(0)} s`);
  await runner.stop();
  await eventStore.close();
}

/** How big the store is now: its events and the database's bytes. */
export async function storeSize(databaseUrl: string): Promise<StoreSize> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; bytes: string }>(
      'SELECT (SELECT count(*) FROM events) AS events, pg_database_size(current_database()) AS bytes',
    );
    return { events: Number(rows[0]!.events), bytes: Number(rows[0]!.bytes) };
  } finally {
    await client.end();
  }
}
