// A rebuild that starts from position 0 loads no rows per batch: it folds the store, up to a bound, in
// memory with the same pure apply as the live projector (applyChatEvent.ts), so its rows are the live
// ones by construction. room_feed is append-only, so its rows stream to PostgreSQL (COPY) as they are
// produced; the other tables hold rows that keep changing until the end, and each is written after the
// fold. Messages that can no longer change are spilled to files past a bound (messageSpill.ts), so a
// big store's rebuild holds its rooms and recent messages in memory, not its whole history.
// It commits in short transactions, each of a bounded amount of COPY text, because the PostgreSQL store's
// readers see no event newer than the oldest running transaction of the cluster: one transaction for
// the whole bulk stood every live projector on the server still for as long (minutes on a big store).
// The rebuild checkpoint moves to the bound last, so until then the generation is not usable: an attempt
// starts by emptying its tables, and a crash mid-way leaves the checkpoint at 0 for the next one.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransactionOn } from '../../db/transaction.ts';
import type { RetentionApplied } from '../../domain/events.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { encodePosition } from '../../eventstore/eventStore.ts';
import { buildIndexesConcurrently } from '../generations.ts';
import type { BulkLoadOptions } from '../projection.ts';
import { RETENTION_APPLIED } from '../retentionParts.ts';
import { applyChatEvents, emptyBatchState } from './applyChatEvent.ts';
import { loadRestoredMessages } from './batchStore.ts';
import { copyText } from './copyText.ts';
import { DEFAULT_MESSAGES_IN_MEMORY, MessageSpill } from './messageSpill.ts';
import { applyRetentionRows } from './retainedRoom.ts';
import { CHAT_TABLES, type ChatTable } from './schema.ts';

/** tables created with a primary key (room_feed's key is built with the secondary indexes) */
const KEYED_TABLES = CHAT_TABLES.filter((table) => table.name !== 'room_feed');

/**
 * COPY text a transaction loads, by default: it bounds how long a live reader of the store waits on the
 * bulk's account (in the 1M benchmark no transaction of the bulk lasted as long as the 5.5 s that the
 * secondary indexes, built after it, took)
 */
const DEFAULT_TRANSACTION_BYTES = 16 * 2 ** 20;

/** with the generation's schema: one attempt at a time loads a generation (see bulkRebuild) */
const BULK_LOCK = 7_420_005;

/** COPY text, as strings or (read back from a spill file) bytes */
type CopySource = Iterable<string> | AsyncIterable<string | Buffer>;

class Aborted extends Error {
  override readonly name = 'Aborted';
}

/**
 * Builds generation `schema` from position 0 to `upTo` and moves the rebuild checkpoint there. Returns
 * the position reached and the events folded, or null when `signal` aborted it (the checkpoint stays at
 * 0, and the next attempt empties what this one committed).
 */
export async function bulkRebuild(
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
  let spill: MessageSpill | undefined;
  // a retention run's delete (and a shred's spared days) are rows, not tombstones the fold reads: they are
  // applied to the loaded tables, in order, once the fold is done
  const retentions: RetentionApplied['data'][] = [];

  // the feed's rows as the fold produces them: PostgreSQL loads one chunk of them while the next is folded
  async function* feedRows(columns: readonly string[]): AsyncGenerator<string> {
    for await (const events of pagesUpTo(eventStore, options.upTo, options.pageSize)) {
      if (signal.aborted) throw new Aborted('rebuild stopped');
      position = encodePosition(events.at(-1)!.position);
      state.publishes = options.publishAfter !== null && position > options.publishAfter;
      await loadRestoredMessages(state, events, eventStore);
      applyChatEvents(state, events);
      for (const event of events) {
        if (event.type === RETENTION_APPLIED) retentions.push(event.data as RetentionApplied['data']);
      }
      await spill!.afterPage(events.at(-1)!);
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

  // every transaction of the bulk runs on this connection, which holds the generation's lock throughout:
  // an ex-leader still loading cannot interleave its rows with a new attempt's. The connection is closed
  // at the end, never pooled again, so the lock goes with it however the bulk ends.
  const session = await pool.connect();
  try {
    const { rows } = await session.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [BULK_LOCK, schema],
    );
    if (!rows[0]!.locked) throw new Error(`another bulk rebuild is loading ${schema}`);
    const columns = await tableColumns(session, schema);
    spill = new MessageSpill(state, {
      eventStore,
      upTo: options.upTo,
      pageSize: options.pageSize,
      limit: options.rowsInMemory ?? DEFAULT_MESSAGES_IN_MEMORY,
      directory: options.spillDirectory,
      columns,
    });
    await committed(session, async () => {
      // rows an earlier attempt committed before it died
      await session.query(`TRUNCATE ${CHAT_TABLES.map((table) => `${schema}.${table.name}`).join(', ')}`);
      // a key built once over the loaded rows (a sort) is cheaper than one maintained row by row; the
      // index of a key an earlier attempt was building when it died goes too
      for (const { name } of KEYED_TABLES) {
        await session.query(`ALTER TABLE ${schema}.${name} DROP CONSTRAINT IF EXISTS ${name}_pkey`);
        await session.query(`DROP INDEX IF EXISTS ${schema}.${name}_pkey`);
      }
    });
    const load = (table: ChatTable, text: CopySource) =>
      copyInTransactions(session, `${schema}.${table}`, columns[table], text, {
        bytes: options.transactionBytes ?? DEFAULT_TRANSACTION_BYTES,
        signal,
      });
    await load('room_feed', feedRows(columns.room_feed));
    const finalRows: Record<Exclude<ChatTable, 'room_feed'>, CopySource> = {
      rooms: copyText(state.rooms.values(), columns.rooms),
      participants: copyText(state.participants.values(), columns.participants),
      membership_windows: copyText(state.windows.values(), columns.membership_windows),
      messages: spill.copyText('messages', state.messages.values()),
      message_edits: spill.copyText(
        'message_edits',
        [...state.edits.values()].flatMap((edits) => edits.rows),
      ),
      users: copyText(state.users.values(), columns.users),
    };
    for (const [table, text] of Object.entries(finalRows) as [ChatTable, CopySource][]) {
      await load(table, text);
    }

    // each key's unique index built concurrently (a plain key build holds a transaction id throughout),
    // then made the key, which only writes the catalog: its columns kept NOT NULL when it was dropped
    await buildIndexesConcurrently(
      session,
      schema,
      KEYED_TABLES.map(
        ({ name, primaryKey }) =>
          `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_pkey ON ${schema}.${name} (${primaryKey.join(', ')})`,
      ),
    );
    for (const { name } of KEYED_TABLES) {
      await committed(session, () =>
        session.query(
          `ALTER TABLE ${schema}.${name} ADD CONSTRAINT ${name}_pkey PRIMARY KEY USING INDEX ${name}_pkey`,
        ),
      );
    }
    for (const retention of retentions) {
      await committed(session, () => applyRetentionRows(session, schema, retention));
    }
    const moved = await committed(session, () =>
      session.query(
        `UPDATE projection_checkpoints SET position = $3, events_processed = $4, updated_at = now()
         WHERE name = $1 AND schema_name = $2 AND position = '0'`,
        [options.checkpoint, schema, position, folded],
      ),
    );
    if (moved.rowCount !== 1) throw new Error(`rebuild checkpoint of ${schema} moved during the bulk load`);
    return { position, events: folded };
  } catch (error) {
    if (error instanceof Aborted) return null;
    throw error;
  } finally {
    session.release(true);
    await spill?.dispose();
  }
}

/**
 * Runs `work` in a transaction of its own on the bulk's connection. A rebuild can always be redone, so
 * its commits do not wait for the WAL flush.
 */
function committed<T>(session: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  // a connection that cannot roll back fails the bulk anyway, and is closed with it
  return inTransactionOn(session, async () => {
    await session.query('SET LOCAL synchronous_commit = off');
    return work();
  });
}

/**
 * Loads `text` into `table` in transactions of about `bytes` of COPY text each; the next chunk is
 * produced (for room_feed: folded) while one is written.
 */
async function copyInTransactions(
  session: pg.ClientBase,
  table: string,
  columns: readonly string[],
  text: CopySource,
  options: { bytes: number; signal: AbortSignal },
): Promise<void> {
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of wholeRowChunks(text, options.bytes)) {
      await writing;
      if (options.signal.aborted) throw new Aborted('rebuild stopped');
      writing = committed(session, () => copyInto(session, table, columns, chunk));
      writing.catch(() => {}); // awaited on the next turn or below
    }
  } catch (error) {
    await writing.catch(() => {}); // the connection is idle before the bulk gives it up
    throw error;
  }
  await writing;
}

/**
 * COPY text in chunks of whole rows of at least `bytes` (the last one smaller). Held as bytes: a chunk
 * waits up to a transaction's time for its turn, and strings built row by row that live that long fill
 * the heap's old generation (they more than doubled the 1M benchmark's peak heap). A spill
 * file is read back in blocks that end mid-row: a block's partial last row goes with the next block.
 */
async function* wholeRowChunks(text: CopySource, bytes: number): AsyncGenerator<Buffer[]> {
  let chunk: Buffer[] = [];
  let size = 0;
  let partialRow: Buffer = Buffer.alloc(0);
  for await (const piece of text) {
    const bytesRead = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const block = partialRow.length > 0 ? Buffer.concat([partialRow, bytesRead]) : bytesRead;
    const rowsEnd = block.lastIndexOf(0x0a) + 1;
    partialRow = block.subarray(rowsEnd);
    chunk.push(block.subarray(0, rowsEnd));
    size += rowsEnd;
    if (size >= bytes) {
      yield chunk;
      chunk = [];
      size = 0;
    }
  }
  if (partialRow.length > 0) chunk.push(partialRow);
  if (chunk.length > 0) yield chunk;
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
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  text: readonly Buffer[],
): Promise<void> {
  await pipeline(
    Readable.from(text),
    client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}
