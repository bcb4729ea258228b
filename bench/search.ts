// `npm run bench -- search [--messages N] [--rooms N] [--member-of N] [--tail N] [--runs N] [--explain] [--keep]
//   [--database URL]` (a database a run kept: only the queries are timed):
// search over N messages in `rooms` rooms for one user who is a member of `member-of` of them (some
// windows closed and reopened, some rooms left for good, a third of the rooms with `joined` history).
// Loads the events straight into a fresh PostgreSQL event store (bench/_loadEvents.ts), builds the chat
// and the search read models with the rebuild a deploy runs (each timed), then times the live projector
// on `tail` more messages without the search model and with it, and last the latency of word, phrase,
// prefix and operator queries through the function GET /search/ answers with (parseSearchQuery, then
// searchMessages: src/api/search.ts's answerSearch without the HTTP around it).
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import type { ChatEvent } from '../src/domain/events.ts';
import { type EventStore, encodePosition } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../src/projections/changeFeed.ts';
import { chatProjection } from '../src/projections/chat/chatProjection.ts';
import { prepareReadModels, readCheckpoint } from '../src/projections/checkpoints.ts';
import type { Projection } from '../src/projections/projection.ts';
import { startProjections } from '../src/projections/projectionRunner.ts';
import { searchMessages } from '../src/projections/search/queries.ts';
import { searchProjection } from '../src/projections/search/searchProjection.ts';
import { parseSearchQuery } from '../src/projections/search/searchQuery.ts';
import { waitForPosition } from '../src/projections/waitForPosition.ts';
import { random, toAppend, type WorkloadEvent } from '../test/projections/support/chatWorkload.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { loadEvents } from './_loadEvents.ts';

/** the user whose searches are timed */
const SEARCHER = 'searcher';
const USERS = 5_000;
const START = Date.parse('2026-01-01T00:00:00Z');
/** the messages span this long (so before:/after: have a year to cut) */
const SPAN_MS = 330 * 86_400_000;

// Words of a property-management chat, most frequent first: a message draws them by a Zipf law, so a few
// are in most messages and most are rare, as in real text. Filler words make up the long tail.
const TOPIC = (
  'the to and a is for on in it we i you this at be please can will of with thanks today ok ' +
  'unit tenant boiler leak kitchen heater lobby elevator invoice maintenance repair plumber keys ' +
  'inspection contractor window door roof parking garage laundry deposit lease rent payment schedule ' +
  'tomorrow morning afternoon meeting access alarm electrician painting carpet mold noise water heating ' +
  'ventilation filter thermostat radiator pipe drain faucet toilet shower bathroom balcony stairwell ' +
  'mailbox intercom package delivery trash recycling snow landscaping gutter insulation quote approval'
).split(' ');
const FILLER = Array.from({ length: 3_000 }, (_, i) => `w${i.toString(36)}x`);
const VOCABULARY = [...TOPIC, ...FILLER];
/** the phrase the phrase queries look for, in one message of 200 */
const PHRASE = 'fix the boiler';

/** cumulative Zipf weights (s = 1) over the vocabulary, for a binary search per word */
const ZIPF = (() => {
  const weights = VOCABULARY.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((sum, w) => sum + w, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function zipfWord(rand: () => number): string {
  const x = rand();
  let lo = 0;
  let hi = ZIPF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ZIPF[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo]!;
}

type BenchRoom = { id: string; index: number; members: string[] };
type Layout = { rooms: BenchRoom[]; searcherRooms: BenchRoom[] };

/** Room ids are fixed by index, so the tail's messages go to the same rooms without keeping state. */
const roomIdOf = (index: number) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

function layout(roomCount: number, memberOf: number): Layout {
  const rand = random(7);
  const rooms = Array.from({ length: roomCount }, (_, index): BenchRoom => {
    const others = new Set(
      Array.from({ length: 3 + Math.floor(rand() * 5) }, () => `user-${Math.floor(rand() * USERS)}`),
    );
    // the searcher's rooms are spread over all of them
    const hasSearcher =
      index % Math.floor(roomCount / memberOf) === 0 && index / Math.floor(roomCount / memberOf) < memberOf;
    return { id: roomIdOf(index), index, members: [...(hasSearcher ? [SEARCHER] : []), ...others] };
  });
  return { rooms, searcherRooms: rooms.filter((room) => room.members[0] === SEARCHER) };
}

/**
 * The rooms, then `messages` messages in random rooms (3% with an attachment). Of the searcher's rooms, one
 * in ten they leave at a third of the messages and come back to at two thirds (two windows), one in ten
 * they leave at half for good (searchable up to then).
 */
function* events(shape: Layout, messages: number, seed: number, from: number): Generator<WorkloadEvent> {
  const rand = random(seed);
  const at = (i: number) =>
    new Date(START + Math.floor(((from + i) * SPAN_MS) / (from + messages + 1))).toISOString();
  if (from === 0) {
    for (const room of shape.rooms) {
      yield toAppend(
        {
          type: 'RoomCreated',
          data: {
            roomId: room.id,
            name: `Room ${room.index}`,
            roomType: 'group',
            createdBy: room.members[0]!,
            participants: room.members.map((userId, i) => ({ userId, username: userId, isAdmin: i === 0 })),
            settings: room.index % 3 === 0 ? { historyVisibility: 'joined' } : {},
          },
        },
        at(0),
      );
    }
  }
  const membership = (i: number): ChatEvent[] => {
    if (from !== 0) return [];
    const change: ChatEvent[] = [];
    shape.searcherRooms.forEach((room, k) => {
      const roomId = room.id;
      if (k % 10 === 1 && i === Math.floor(messages / 3))
        change.push({ type: 'ParticipantLeft', data: { roomId, userId: SEARCHER } });
      if (k % 10 === 1 && i === Math.floor((2 * messages) / 3)) {
        const addedBy = room.members[1]!;
        change.push({
          type: 'ParticipantAdded',
          data: { roomId, userId: SEARCHER, username: SEARCHER, isAdmin: false, addedBy },
        });
      }
      if (k % 10 === 2 && i === Math.floor(messages / 2))
        change.push({ type: 'ParticipantLeft', data: { roomId, userId: SEARCHER } });
    });
    return change;
  };
  for (let i = 0; i < messages; i++) {
    for (const event of membership(i)) yield toAppend(event, at(i));
    const room = shape.rooms[Math.floor(rand() * shape.rooms.length)]!;
    const senderId = room.members[Math.floor(rand() * room.members.length)]!;
    const words = Array.from({ length: 5 + Math.floor(rand() * 16) }, () => zipfWord(rand));
    if (rand() < 0.005) words.splice(Math.floor(rand() * words.length), 0, PHRASE);
    const attachment =
      rand() < 0.03
        ? {
            id: crypto.randomUUID(),
            fileName: `photo-${i}.jpg`,
            contentType: 'image/jpeg',
            sizeBytes: 120_000,
          }
        : null;
    yield toAppend(
      {
        type: 'MessageSent',
        data: {
          messageId: crypto.randomUUID(),
          roomId: room.id,
          senderId,
          senderUsername: senderId,
          messageType: attachment ? 'file' : 'text',
          content: words.join(' '),
          attachment,
        },
      },
      at(i),
    );
  }
}

/** A rebuild from 0 of one projection, as a deploy of its new version runs it; its seconds. */
async function rebuild(pool: pg.Pool, eventStore: EventStore, projection: Projection): Promise<number> {
  await prepareReadModels(pool, [projection]);
  await pool.query('UPDATE projection_checkpoints SET version = $1 WHERE name = $2', [
    projection.version - 1,
    projection.name,
  ]);
  const started = performance.now();
  const runner = await startProjections({
    pool,
    eventStore,
    projections: [projection],
    publisher: discardChanges,
    retryMs: 50,
  });
  while ((await readCheckpoint(pool, projection.name))!.version !== projection.version) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  return seconds;
}

/** The live projector with these projections from their checkpoints to the head; its seconds. */
async function catchUp(
  pool: pg.Pool,
  eventStore: EventStore,
  projections: Projection[],
): Promise<{ seconds: number; cpu: number }> {
  const head = encodePosition((await eventStore.headPosition())!);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const runner = await startProjections({
    pool,
    eventStore,
    projections,
    publisher: discardChanges,
    retryMs: 50,
  });
  for (const projection of projections) {
    if (!(await waitForPosition(pool, head, 3_600_000, projection.name)))
      throw new Error(`${projection.name} did not catch up`);
  }
  const seconds = (performance.now() - started) / 1000;
  const spent = process.cpuUsage(cpu);
  await runner.stop();
  return { seconds, cpu: (spent.user + spent.system) / 1e6 };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** The store and both read models: the load, the rebuilds, then the live projector on `tail` more. */
async function build(
  databaseUrl: string,
  pool: pg.Pool,
  eventStore: EventStore,
  shape: Layout,
  messages: number,
  tail: number,
) {
  await migrate(databaseUrl);
  const started = performance.now();
  const loaded = await loadEvents(pool, events(shape, messages, 42, 0));
  console.log(
    `loaded ${loaded} events (${shape.rooms.length} rooms, ${messages} messages) in ${((performance.now() - started) / 1000).toFixed(1)} s; load ${loadAverage()}`,
  );

  for (const projection of [chatProjection, searchProjection]) {
    const seconds = await rebuild(pool, eventStore, projection);
    console.log(
      `rebuild ${projection.name}: ${loaded} events in ${seconds.toFixed(1)} s = ${Math.round(loaded / seconds)} events/s; load ${loadAverage()}`,
    );
  }
  const size = await pool.query<{ table: string; index: string }>(
    `SELECT pg_size_pretty(pg_table_size('search_read.indexed_messages')) AS table,
            pg_size_pretty(pg_indexes_size('search_read.indexed_messages')) AS index`,
  );
  console.log(`search_read.indexed_messages: table ${size.rows[0]!.table}, indexes ${size.rows[0]!.index}`);

  // the live projector on `tail` more messages: chat alone, then (the search model catching up on the
  // same messages) search alone; then `tail` more again with both, as the service runs them. Twice,
  // after a VACUUM ANALYZE (the build leaves both models to autovacuum, which would land in a phase);
  // Node's CPU beside the wall time, which other work on the machine stretches
  const rate = ({ seconds, cpu }: { seconds: number; cpu: number }) =>
    `${seconds.toFixed(1)} s = ${Math.round(tail / seconds)} events/s (Node CPU ${cpu.toFixed(1)} s)`;
  for (let round = 0; round < (tail > 0 ? 2 : 0); round++) {
    await pool.query('VACUUM ANALYZE chat_read.messages, chat_read.room_feed, search_read.indexed_messages');
    const from = messages + 2 * round * tail;
    await loadEvents(pool, events(shape, tail, 43 + 2 * round, from));
    const chatAlone = await catchUp(pool, eventStore, [chatProjection]);
    const searchAlone = await catchUp(pool, eventStore, [searchProjection]);
    await loadEvents(pool, events(shape, tail, 44 + 2 * round, from + tail));
    const both = await catchUp(pool, eventStore, [chatProjection, searchProjection]);
    console.log(
      `live projector, ${tail} messages, round ${round + 1}: chat alone ${rate(chatAlone)}; search alone ${rate(searchAlone)}; chat and search ${rate(both)}; load ${loadAverage()}`,
    );
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '10000' },
      'member-of': { type: 'string', default: '200' },
      /** messages appended after the build, for the live projector's rate without and with search */
      tail: { type: 'string', default: '100000' },
      /** timed runs of each query */
      runs: { type: 'string', default: '20' },
      /** print EXPLAIN ANALYZE of each query once */
      explain: { type: 'boolean', default: false },
      /** keep the database (its URL is printed) to look at plans by hand */
      keep: { type: 'boolean', default: false },
      /** a kept database: only the queries are timed */
      database: { type: 'string' },
    },
  });
  const messages = Number(values.messages);
  const tail = Number(values.tail);
  const shape = layout(Number(values.rooms), Number(values['member-of']));
  // --database: time the queries on a database an earlier run kept (--keep), without building it again
  const given = values.database;
  const database = given ? { url: given, drop: async () => {} } : await createTestDatabase('bench_search');
  const pool = new pg.Pool({ connectionString: database.url, max: 6 });
  const eventStore = createPostgresEventStore({ pool });
  try {
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, PostgreSQL ${rows[0]!.server_version}, Node ${process.version}; load ${loadAverage()}`,
    );
    if (!given) await build(database.url, pool, eventStore, shape, messages, tail);
    await pool.query('VACUUM ANALYZE search_read.indexed_messages');
    await pool.query('ANALYZE');

    const some = shape.searcherRooms[5]!;
    const QUERIES: { kind: string; q: string }[] = [
      { kind: 'word (frequent)', q: 'boiler' },
      { kind: 'word (rare)', q: 'w2k0x' },
      { kind: 'two words', q: 'leak kitchen' },
      { kind: 'phrase', q: `"${PHRASE}"` },
      { kind: 'prefix', q: 'mainten' },
      { kind: 'prefix (short)', q: 'insp' },
      { kind: 'from:', q: `from:${some.members[1]}` },
      { kind: 'from: + word', q: `leak from:${some.members[1]}` },
      { kind: 'in:', q: `in:"Room ${some.index}"` },
      { kind: 'in: + word', q: `repair in:"Room ${some.index}"` },
      { kind: 'has:attachment', q: 'has:attachment' },
      { kind: 'has:attachment + word', q: 'roof has:attachment' },
      { kind: 'before:/after:', q: 'after:2026-03-01 before:2026-03-15' },
      { kind: 'word + before:/after:', q: 'invoice after:2026-06-01 before:2026-07-01' },
    ];
    const runs = Number(values.runs);
    console.log(
      `\nqueries for a member of ${shape.searcherRooms.length} rooms, limit 20, ${runs} runs each after one warm-up (ms):`,
    );
    console.log('| query | sort | results | p50 | p95 | max |');
    console.log('|---|---|---:|---:|---:|---:|');
    const all: number[] = [];
    for (const { kind, q } of QUERIES) {
      for (const sort of ['newest', 'relevance'] as const) {
        if (
          sort === 'relevance' &&
          !kind.includes('word') &&
          !kind.includes('phrase') &&
          !kind.includes('prefix')
        )
          continue;
        const run = () => searchMessages(pool, SEARCHER, { query: parseSearchQuery(q), sort, limit: 20 });
        const first = await run();
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          await run();
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        all.push(...times);
        console.log(
          `| ${kind}: \`${q}\` | ${sort} | ${first.results.length} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`,
        );
      }
    }
    all.sort((a, b) => a - b);
    console.log(
      `all queries: p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms; load ${loadAverage()}`,
    );
    if (values.explain)
      await explainAll(
        pool,
        QUERIES.map(({ q }) => q),
      );
  } finally {
    await eventStore.close();
    await pool.end();
    if (values.keep) console.log(`kept: ${database.url}`);
    else if (!given) await database.drop();
  }
}

/**
 * EXPLAIN ANALYZE of each query as searchMessages sends it (its SQL caught on a pool that only records),
 * then the pages each read (shared buffers hit or read): a cost that the machine's other work does not move.
 */
async function explainAll(pool: pg.Pool, queries: string[]): Promise<void> {
  const summary = ['| query | buffers | execution ms |', '|---|---:|---:|'];
  for (const q of queries) {
    let sql = '';
    let params: unknown[] = [];
    const recorder = {
      query: async (text: string, values: unknown[]) => {
        sql = text;
        params = values;
        return { rows: [] };
      },
    } as unknown as pg.Pool;
    await searchMessages(recorder, SEARCHER, { query: parseSearchQuery(q), sort: 'newest', limit: 20 });
    const plan = (await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows.map(
      (row) => row['QUERY PLAN'] as string,
    );
    console.log(`\n== ${q}\n${plan.join('\n')}`);
    const buffers = /hit=(\d+)(?: read=(\d+))?/.exec(plan[1] ?? '');
    const total = buffers ? Number(buffers[1]) + Number(buffers[2] ?? 0) : Number.NaN;
    const execution = plan.find((line) => line.startsWith('Execution Time'))?.replace(/[^\d.]/g, '');
    summary.push(`| \`${q}\` | ${total} | ${execution} |`);
  }
  console.log(`\n${summary.join('\n')}`);
}
