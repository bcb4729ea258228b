// `npm run bench -- projections [--events N] [--rooms N] [--users N]`: the rebuild rate of the chat
// projection. Loads N realistic chat events (90% messages; edits, reactions, reads, membership changes,
// deletes, moderation) straight into a fresh PostgreSQL event store, then times a full rebuild the way
// `npm run chat -- projections rebuild` runs it: a shadow generation from position 0, indexes, swap.
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { encodePosition } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../src/projections/changeFeed.ts';
import { readCheckpoint, requestRebuild } from '../src/projections/checkpoints.ts';
import { startProjections } from '../src/projections/projectionRunner.ts';
import { waitForPosition } from '../src/projections/waitForPosition.ts';
import { chatWorkload, type WorkloadEvent } from '../test/projections/support/chatWorkload.ts';
import { createTestDatabase } from '../test/support/database.ts';

const LOAD_CHUNK = 10_000;

/** Bulk load: one INSERT per chunk of events, revisions counted here (the store's append is per stream). */
async function load(pool: pg.Pool, events: Iterable<WorkloadEvent>): Promise<number> {
  const revisions = new Map<string, number>();
  let chunk: WorkloadEvent[] = [];
  let total = 0;
  const flush = async () => {
    const revision = chunk.map(({ stream }) => {
      const next = (revisions.get(stream) ?? -1) + 1;
      revisions.set(stream, next);
      return next;
    });
    await pool.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata, room_id)
       SELECT s, r, i, t, d, m, m ->> 'roomId'
       FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) AS x(s, r, i, t, d, m)`,
      [
        chunk.map((e) => e.stream),
        revision,
        chunk.map((e) => e.event.id),
        chunk.map((e) => e.event.type),
        chunk.map((e) => JSON.stringify(e.event.data)),
        chunk.map((e) => JSON.stringify(e.event.metadata)),
      ],
    );
    total += chunk.length;
    chunk = [];
  };
  for (const event of events) {
    chunk.push(event);
    if (chunk.length === LOAD_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return total;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '2000' },
      users: { type: 'string', default: '1000' },
    },
  });
  const count = Number(values.events);
  const database = await createTestDatabase('bench_projections');
  const pool = new pg.Pool({ connectionString: database.url, max: 6 });
  const eventStore = createPostgresEventStore({ pool });
  try {
    await migrate(database.url);
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, PostgreSQL ${rows[0]!.server_version}, Node ${process.version}`,
    );

    let started = performance.now();
    const loaded = await load(
      pool,
      chatWorkload(count, { rooms: Number(values.rooms), users: Number(values.users) }),
    );
    const loadSeconds = (performance.now() - started) / 1000;
    console.log(`loaded ${loaded} events in ${loadSeconds.toFixed(1)} s`);
    const mix = await pool.query<{ event_type: string; n: string }>(
      'SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC',
    );
    console.log(
      `mix: ${mix.rows.map((r) => `${r.event_type} ${((100 * Number(r.n)) / loaded).toFixed(1)}%`).join(', ')}`,
    );

    // 1. the live projector catches up from position 0 (what a fresh deployment does)
    const head = encodePosition((await eventStore.headPosition())!);
    started = performance.now();
    const runner = await startProjections({ pool, eventStore, publisher: discardChanges, retryMs: 50 });
    if (!(await waitForPosition(pool, head, 3_600_000)))
      throw new Error('the live projection did not catch up');
    const catchUpSeconds = (performance.now() - started) / 1000;
    console.log(
      `live catch-up from 0: ${loaded} events in ${catchUpSeconds.toFixed(1)} s = ${Math.round(loaded / catchUpSeconds)} events/s`,
    );

    // 2. a rebuild beside the (caught-up) live projection, until its generation is swapped in
    const before = (await readCheckpoint(pool, 'chat'))!.schema_name;
    started = performance.now();
    await requestRebuild(pool);
    while ((await readCheckpoint(pool, 'chat'))!.schema_name === before) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    const counts = await pool.query<{ messages: string; feed: string }>(
      'SELECT (SELECT count(*) FROM chat_read.messages) AS messages, (SELECT count(*) FROM chat_read.room_feed) AS feed',
    );
    console.log(
      `rebuild: ${loaded} events in ${seconds.toFixed(1)} s = ${Math.round(loaded / seconds)} events/s ` +
        `(${counts.rows[0]!.messages} messages, ${counts.rows[0]!.feed} feed entries; includes indexes and swap)`,
    );
  } finally {
    await eventStore.close();
    await pool.end();
    await database.drop();
  }
}
