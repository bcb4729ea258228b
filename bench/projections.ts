// `npm run bench -- projections [--events N] [--rooms N] [--users N] [--live] [--rows-in-memory N]`: the rebuild rate of the chat
// projection. Loads N realistic chat events (90% messages; edits, reactions, reads, membership changes,
// deletes, moderation) straight into a fresh PostgreSQL event store, then times a full rebuild as a deploy of a new
// projection version runs it (the same build `npm run chat -- projections rebuild` runs beside the live
// projector): a new generation from position 0 to the head, indexes, swap.
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { encodePosition } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../src/projections/changeFeed.ts';
import { chatProjection } from '../src/projections/chat/chatProjection.ts';
import { prepareReadModels, readCheckpoint } from '../src/projections/checkpoints.ts';
import { startProjections } from '../src/projections/projectionRunner.ts';
import { waitForPosition } from '../src/projections/waitForPosition.ts';
import { chatWorkload } from '../test/projections/support/chatWorkload.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { loadEvents as load } from './_loadEvents.ts';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '2000' },
      users: { type: 'string', default: '1000' },
      /** also time the live projector catching up from 0 first */
      live: { type: 'boolean', default: false },
      /** messages the rebuild may hold in memory before it spills final ones (default: the projection's) */
      'rows-in-memory': { type: 'string' },
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

    const head = encodePosition((await eventStore.headPosition())!);
    if (values.live) {
      // the live projector catching up from position 0 (small batches, durable commits)
      started = performance.now();
      const live = await startProjections({
        pool,
        eventStore,
        projections: [chatProjection],
        publisher: discardChanges,
        retryMs: 50,
      });
      if (!(await waitForPosition(pool, head, 3_600_000, 'chat')))
        throw new Error('the live projection did not catch up');
      const liveSeconds = (performance.now() - started) / 1000;
      await live.stop();
      console.log(
        `live catch-up from 0: ${loaded} events in ${liveSeconds.toFixed(1)} s = ${Math.round(loaded / liveSeconds)} events/s`,
      );
    } else {
      await prepareReadModels(pool, [chatProjection]);
    }

    // the rebuild a deploy of a new projection version runs: a new generation from position 0 to the
    // head (folded in memory and COPYed, see chat/bulkRebuild.ts), indexes, swapped in
    await pool.query(`UPDATE projection_checkpoints SET version = $1 WHERE name = 'chat'`, [
      chatProjection.version - 1,
    ]);
    started = performance.now();
    const runner = await startProjections({
      pool,
      eventStore,
      projections: [chatProjection],
      publisher: discardChanges,
      retryMs: 50,
      rebuildRowsInMemory:
        values['rows-in-memory'] === undefined ? undefined : Number(values['rows-in-memory']),
    });
    // the heap the rebuild needs: its peak, sampled (what --max-old-space-size must allow)
    let peakHeap = 0;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 100);
    while ((await readCheckpoint(pool, 'chat'))!.version !== chatProjection.version) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await runner.stop();
    if (!(await waitForPosition(pool, head, 0, 'chat')))
      throw new Error('the rebuild did not reach the head');
    const counts = await pool.query<{ messages: string; feed: string }>(
      'SELECT (SELECT count(*) FROM chat_read.messages) AS messages, (SELECT count(*) FROM chat_read.room_feed) AS feed',
    );
    console.log(
      `rebuild: ${loaded} events in ${seconds.toFixed(1)} s = ${Math.round(loaded / seconds)} events/s ` +
        `(${counts.rows[0]!.messages} messages, ${counts.rows[0]!.feed} feed entries; includes indexes and swap); ` +
        `peak heap ${Math.round(peakHeap / 2 ** 20)} MiB`,
    );
  } finally {
    await eventStore.close();
    await pool.end();
    await database.drop();
  }
}
