// A rebuild that starts from position 0 loads no rows per batch: it folds the store, up to a bound, in
// memory with the same pure apply as the live projector (evolve.ts), so its rows are the live ones by
// construction. room_feed is append-only, so its rows stream to PostgreSQL (COPY) as they are produced;
// the other tables hold rows that keep changing until the end, and each is written once, with one COPY.
// All of it, and the rebuild checkpoint's move to the bound, commits in one transaction: a crash leaves
// the checkpoint at 0 and the next attempt starts over from empty tables.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '../../db/transaction.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { encodePosition } from '../../eventstore/eventStore.ts';
import { setGenerationLogged } from '../generations.ts';
import type { BulkLoadOptions, Projection } from '../projection.ts';
import { applyChatEvents, emptyBatchState } from './applyChatEvent.ts';
import { loadRestoredMessages } from './batchStore.ts';
import { CHAT_TABLES, type ChatTable } from './schema.ts';

/** Rows are encoded for COPY this many at a time (one chunk written to the connection). */
const COPY_CHUNK_ROWS = 2_000;

/** for building the keys over the loaded rows in memory rather than in sorted runs on disk */
const BULK_INDEX_MEMORY = '256MB';

/** tables created with a primary key (room_feed's key is built with the secondary indexes) */
const KEYED_TABLES = CHAT_TABLES.filter((table) => table.name !== 'room_feed');

class Aborted extends Error {
  override readonly name = 'Aborted';
}

/**
 * Builds generation `schema` from position 0 to `upTo` and moves the rebuild checkpoint there. Returns
 * the position reached and the events folded, or null when `signal` aborted it (nothing is kept).
 */
export async function bulkRebuild(
  projection: Projection,
  options: BulkLoadOptions,
): Promise<{ position: string; events: number } | null> {
  const { pool, eventStore, schema, signal } = options;
  const state = emptyBatchState();
  // the fold keeps every row: which ones a page touched only matters to the per-batch writer
  state.dirty = {
    rooms: new IgnoredKeys(),
    participants: new IgnoredKeys(),
    messages: new IgnoredKeys(),
    users: new IgnoredKeys(),
  };
  let position = '0';
  let folded = 0;

  // the fold runs as COPY pulls the feed's rows: PostgreSQL writes one page while the next is folded
  async function* feedRows(columns: readonly string[]): AsyncGenerator<string> {
    for await (const events of pagesUpTo(eventStore, options.upTo, options.pageSize)) {
      if (signal.aborted) throw new Aborted('rebuild stopped');
      position = encodePosition(events.at(-1)!.position);
      state.publishes = options.publishAfter !== null && position > options.publishAfter;
      await loadRestoredMessages(state, events, eventStore);
      applyChatEvents(state, events);
      const rows = state.feedRows;
      const feed = state.feed;
      state.feedRows = [];
      state.feed = [];
      state.restored.clear();
      folded += events.length;
      await options.onPage(events, feed);
      yield* copyText(rows, columns);
    }
  }

  try {
    return await inTransaction(pool, async (client) => {
      // a rebuild can always be redone: no need to wait for the WAL flush
      await client.query('SET LOCAL synchronous_commit = off');
      const columns = await tableColumns(client, schema);
      await client.query(`TRUNCATE ${CHAT_TABLES.map((table) => `${schema}.${table.name}`).join(', ')}`);
      // written once, from the start: cheaper than the WAL-logged rewrite SET LOGGED does at the end
      await setGenerationLogged(client, projection, schema);
      // a key built once over the loaded rows (a sort) is cheaper than one maintained row by row
      await client.query(`SET LOCAL maintenance_work_mem = '${BULK_INDEX_MEMORY}'`);
      for (const { name } of KEYED_TABLES) {
        await client.query(`ALTER TABLE ${schema}.${name} DROP CONSTRAINT ${name}_pkey`);
      }
      await copyInto(client, schema, 'room_feed', columns.room_feed, feedRows(columns.room_feed));
      if (signal.aborted) throw new Aborted('rebuild stopped');
      const finalRows: Record<Exclude<ChatTable, 'room_feed'>, Iterable<object>> = {
        rooms: state.rooms.values(),
        participants: state.participants.values(),
        membership_windows: state.windows.values(),
        messages: state.messages.values(),
        message_edits: [...state.edits.values()].flatMap((edits) => edits.rows),
        users: state.users.values(),
      };
      for (const [table, rows] of Object.entries(finalRows) as [ChatTable, Iterable<object>][]) {
        await copyInto(client, schema, table, columns[table], copyText(rows, columns[table]));
      }

      for (const { name, primaryKey } of KEYED_TABLES) {
        await client.query(`ALTER TABLE ${schema}.${name} ADD PRIMARY KEY (${primaryKey.join(', ')})`);
      }
      const moved = await client.query(
        `UPDATE projection_checkpoints SET position = $3, events_processed = $4, updated_at = now()
         WHERE name = $1 AND schema_name = $2 AND position = '0'`,
        [options.checkpoint, schema, position, folded],
      );
      if (moved.rowCount !== 1) throw new Error(`rebuild checkpoint of ${schema} moved during the bulk load`);
      return { position, events: folded };
    });
  } catch (error) {
    if (error instanceof Aborted) return null;
    throw error;
  }
}

/** The store's events from the start up to `upTo`, a page at a time; the next page is read meanwhile. */
async function* pagesUpTo(eventStore: EventStore, upTo: string, pageSize: number) {
  const read = (after?: RecordedEvent) =>
    eventStore.readAll({ fromPosition: after?.position, limit: pageSize });
  let next = read();
  for (;;) {
    const page = await next;
    const events = page.filter((event) => encodePosition(event.position) <= upTo);
    const more = page.length === pageSize && events.length === page.length;
    if (more) {
      next = read(page.at(-1));
      next.catch(() => {}); // awaited on the next turn; a failure surfaces there
    }
    if (events.length > 0) yield events;
    if (!more) return;
  }
}

/** A set that keeps nothing. */
class IgnoredKeys extends Set<string> {
  override add(): this {
    return this;
  }
}

async function tableColumns(client: pg.ClientBase, schema: string) {
  const { rows } = await client.query<{ table: ChatTable; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     GROUP BY c.relname`,
    [schema],
  );
  return Object.fromEntries(rows.map((row) => [row.table, row.columns])) as Record<ChatTable, string[]>;
}

async function copyInto(
  client: pg.PoolClient,
  schema: string,
  table: ChatTable,
  columns: readonly string[],
  text: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  await pipeline(
    Readable.from(text),
    client.query(copyFrom(`COPY ${schema}.${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}

/** Rows in COPY's text format, a chunk of rows per string. */
function* copyText(rows: Iterable<object>, columns: readonly string[]): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    const values = row as Record<string, unknown>;
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) line += '\t';
      line += copyValue(values[columns[i]!]);
    }
    chunk += `${line}\n`;
    if (++count === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk) yield chunk;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\\n\r\t]/g, (special) => COPY_ESCAPES[special]!);
}
