// `npm run bench -- projections [--projection chat|safety|search] [--events N] [--rooms N] [--users N] [--live]
// [--rows-in-memory N] [--encrypted] [--attachment-every N]`:
// the rebuild rate of a projection (chat by default). Loads N realistic chat events (90% messages; edits, reactions,
// reads, membership changes, deletes, moderation) straight into a fresh PostgreSQL event store, then times a
// full rebuild as a deploy of a new projection version runs it (the same build `npm run chat -- projections
// rebuild` runs beside the live projector): a new generation from position 0 to the head, indexes, swap.
// With --encrypted the events are loaded sealed as production stores them (message bodies and display
// names under per-subject data keys, docs/privacy.md) and the rebuild reads them through the encrypting
// store, which opens every one. --attachment-every N gives every Nth event, when it is a message, an
// attachment, whose file name is sealed too.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import type { EventStore } from '../src/eventstore/eventStore.ts';
import { encodePosition } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { createEncryptingEventStore } from '../src/privacy/encryptingEventStore.ts';
import { createLocalKeyWrapper } from '../src/privacy/keyWrapper.ts';
import { createPostgresKeyStore } from '../src/privacy/postgresKeyStore.ts';
import { discardChanges } from '../src/projections/changeFeed.ts';
import { prepareReadModels, readCheckpoint } from '../src/projections/checkpoints.ts';
import { startProjections } from '../src/projections/projectionRunner.ts';
import { projectionNamed } from '../src/projections/registry.ts';
import { waitForPosition } from '../src/projections/waitForPosition.ts';
import { chatWorkload } from '../test/projections/support/chatWorkload.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { loadEvents as load, sealEvents } from './_loadEvents.ts';
import { TICKS_PER_SECOND, ticksOf } from './realtime/cpuSampler.ts';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      /** the read model to rebuild (its name in the registry) */
      projection: { type: 'string', default: 'chat' },
      events: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '2000' },
      users: { type: 'string', default: '1000' },
      /** also time the live projector catching up from 0 first */
      live: { type: 'boolean', default: false },
      /** messages the rebuild may hold in memory before it spills final ones (default: the projection's) */
      'rows-in-memory': { type: 'string' },
      /** load the events sealed, and rebuild through the encrypting store (which decrypts) */
      encrypted: { type: 'boolean', default: false },
      /** every Nth event, when it is a message, carries an attachment (0: none) */
      'attachment-every': { type: 'string', default: '0' },
    },
  });
  const count = Number(values.events);
  const projection = projectionNamed(values.projection);
  if (!projection) throw new Error(`no projection is named ${values.projection}`);
  if (values.encrypted && projection.name !== 'chat')
    throw new Error('--encrypted checks the chat read model');
  const database = await createTestDatabase('bench_projections');
  const pool = new pg.Pool({ connectionString: database.url, max: 6 });
  // a master key of the bench's own: unwrapping costs the same with any
  const keyStore = createPostgresKeyStore({
    pool,
    wrapper: createLocalKeyWrapper(new Map([['bench', randomBytes(32)]]), 'bench'),
  });
  const plain = createPostgresEventStore({ pool });
  const eventStore: EventStore = values.encrypted
    ? createEncryptingEventStore(plain, { keyStore, encryptOnAppend: true })
    : plain;
  try {
    await migrate(database.url);
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, PostgreSQL ${rows[0]!.server_version}, Node ${process.version}`,
    );

    let started = performance.now();
    const workload = chatWorkload(count, {
      rooms: Number(values.rooms),
      users: Number(values.users),
      attachmentEvery: Number(values['attachment-every']),
    });
    const loaded = await load(pool, values.encrypted ? sealEvents(workload, keyStore) : workload);
    const loadSeconds = (performance.now() - started) / 1000;
    const keys = values.encrypted
      ? `, sealed under ${(await keyStore.keyCounts()).reduce((n, c) => n + c.live, 0)} data keys`
      : '';
    console.log(`loaded ${loaded} events in ${loadSeconds.toFixed(1)} s${keys}`);
    const mix = await pool.query<{ event_type: string; n: string }>(
      'SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC',
    );
    const { rows: withAttachment } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE event_type = 'MessageSent' AND data ? 'attachment'`,
    );
    console.log(`messages with an attachment: ${withAttachment[0]!.n}`);
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
        projections: [projection],
        publisher: discardChanges,
        retryMs: 50,
      });
      if (!(await waitForPosition(pool, head, 3_600_000, projection.name)))
        throw new Error('the live projection did not catch up');
      const liveSeconds = (performance.now() - started) / 1000;
      await live.stop();
      console.log(
        `live catch-up from 0: ${loaded} events in ${liveSeconds.toFixed(1)} s = ${Math.round(loaded / liveSeconds)} events/s`,
      );
    } else {
      await prepareReadModels(pool, [projection]);
    }

    // the rebuild a deploy of a new projection version runs: a new generation from position 0 to the
    // head (folded in memory and COPYed, see chat/bulkRebuild.ts), indexes, swapped in
    await pool.query(`UPDATE projection_checkpoints SET version = $1 WHERE name = $2`, [
      projection.version - 1,
      projection.name,
    ]);
    started = performance.now();
    const cpuBefore = process.cpuUsage();
    const postgres = await samplePostgresCpu(database.name);
    const runner = await startProjections({
      pool,
      eventStore,
      projections: [projection],
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
    const transactions = await sampleLongestTransaction(database.url, database.name);
    while ((await readCheckpoint(pool, projection.name))!.version !== projection.version) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const postgresSeconds = await postgres.stop();
    clearInterval(sampler);
    const longest = await transactions.stop();
    await runner.stop();
    if (!(await waitForPosition(pool, head, 0, projection.name)))
      throw new Error('the rebuild did not reach the head');
    const counts = await Promise.all(
      projection.tables.map(async ({ name }) => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${projection.readSchema}.${name}`,
        );
        return `${rows[0]!.n} ${name}`;
      }),
    );
    if (values.encrypted) {
      // the store holds envelopes and the read model their plaintext: the rebuild did open them
      const { rows: check } = await pool.query<{
        sealed: number;
        opened: number;
        sealed_names: number;
        opened_names: number;
      }>(
        `SELECT (SELECT count(*)::int FROM events WHERE event_type = 'MessageSent' AND data->'content' ? 'kid') AS sealed,
                (SELECT count(*)::int FROM chat_read.messages WHERE content LIKE 'message %' OR content LIKE 'edited %') AS opened,
                (SELECT count(*)::int FROM events WHERE event_type = 'MessageSent' AND data->'attachment'->'fileName' ? 'kid') AS sealed_names,
                (SELECT count(*)::int FROM chat_read.messages WHERE attachment->>'file_name' LIKE 'photo-%') AS opened_names`,
      );
      const [c] = check;
      console.log(
        `sealed MessageSent in the store: ${c!.sealed}; opened in the read model: ${c!.opened}; ` +
          `attachment names sealed: ${c!.sealed_names}, opened: ${c!.opened_names}`,
      );
    }
    console.log(
      `rebuild of ${projection.name}: ${loaded} events in ${seconds.toFixed(1)} s = ${Math.round(loaded / seconds)} events/s ` +
        `(${counts.join(', ')}; includes indexes and swap); ` +
        `peak heap ${Math.round(peakHeap / 2 ** 20)} MiB`,
    );
    console.log(
      `rebuild CPU${values.encrypted ? ' (encrypted: every event opened)' : ''}: Node ${(cpu.user / 1e6).toFixed(1)} s user + ` +
        `${(cpu.system / 1e6).toFixed(1)} s system (${Math.round(loaded / ((cpu.user + cpu.system) / 1e6))} events per CPU-second), ` +
        `PostgreSQL ${postgresSeconds.toFixed(1)} s ` +
        `(this database's backends); longest a transaction held a transaction id ${longest.seconds.toFixed(1)} s ` +
        `(${longest.statement}); load average ${os
          .loadavg()
          .map((n) => n.toFixed(2))
          .join(' ')}`,
    );
  } finally {
    await eventStore.close();
    await pool.end();
    await database.drop();
  }
}

/**
 * The longest a transaction of `database` held a transaction id, sampled every 100 ms on a connection of
 * its own: the event store's readers see no event appended after such a transaction took its id until
 * it ends (docs/eventstore.md, "A long transaction stalls readers"). Timed from the first sample that saw
 * the id, not from the transaction's start: ANALYZE, say, takes its id only to write its statistics at
 * the end. Read-only transactions stall nothing.
 */
async function sampleLongestTransaction(url: string, database: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const longest = { seconds: 0, statement: 'none' };
  const firstSeen = new Map<string, number>();
  let sampling = true;
  const done = (async () => {
    while (sampling) {
      const { rows } = await client.query<{ holder: string; query: string }>(
        `SELECT pid || ':' || backend_xid AS holder, query FROM pg_stat_activity
         WHERE datname = $1 AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()`,
        [database],
      );
      const now = performance.now();
      for (const { holder, query } of rows) {
        const since = firstSeen.get(holder) ?? now;
        firstSeen.set(holder, since);
        const seconds = (now - since) / 1000;
        if (seconds > longest.seconds) {
          longest.seconds = seconds;
          longest.statement = query.replace(/\s+/g, ' ').slice(0, 60);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await done;
      await client.end();
      return longest;
    },
  };
}

/**
 * CPU seconds (user + system) the PostgreSQL backends connected to `database` spend from now until stop,
 * from /proc (0 where it cannot be read): the server's share of the work, apart from other databases' on
 * a shared machine. Sampled every 200 ms, so a backend that ends meanwhile (a pool closes idle
 * connections, a bulk rebuild closes its own) still counts, up to its last 200 ms.
 */
async function samplePostgresCpu(database: string) {
  /** per process: ticks at the first sample that saw it (0 if it started since), and at the last */
  const seen = new Map<string, { first: number; last: number }>();
  const others = new Set<string>();
  let started = false;
  const sample = async () => {
    for (const pid of await readdir('/proc').catch(() => [])) {
      if (!/^\d+$/.test(pid) || others.has(pid)) continue;
      try {
        if (!seen.has(pid)) {
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
          if (!cmdline.startsWith('postgres: ') || !cmdline.includes(` ${database} `)) {
            others.add(pid);
            continue;
          }
        }
        const ticks = (await ticksOf(`/proc/${pid}/stat`))?.ticks;
        if (ticks === undefined) continue; // the process ended meanwhile
        const entry = seen.get(pid);
        if (entry) entry.last = ticks;
        else seen.set(pid, { first: started ? 0 : ticks, last: ticks });
      } catch {
        // the process ended meanwhile
      }
    }
    started = true;
  };
  await sample();
  let sampling = true;
  const done = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sample();
    }
  })();
  return {
    async stop() {
      sampling = false;
      await done;
      let ticks = 0;
      for (const { first, last } of seen.values()) ticks += last - first;
      return ticks / TICKS_PER_SECOND;
    },
  };
}
