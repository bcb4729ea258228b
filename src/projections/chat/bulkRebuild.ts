// A rebuild that starts from position 0 loads no rows per batch: it folds the store, up to a bound, in
// memory with the same pure apply as the live projector (applyChatEvent.ts), so its rows are the live
// ones by construction. room_feed is append-only, so its rows stream to PostgreSQL (COPY) as they are
// produced; the other tables hold rows that keep changing until the end, and each is written once, with
// one COPY. Messages that can no longer change are spilled to files past a bound (messageSpill.ts), so a
// big store's rebuild holds its rooms and recent messages in memory, not its whole history.
// All of it, and the rebuild checkpoint's move to the bound, commits in one transaction: a crash leaves
// the checkpoint at 0 and the next attempt starts over from empty tables.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '../../db/transaction.ts';
import type { RetentionApplied } from '../../domain/events.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { encodePosition } from '../../eventstore/eventStore.ts';
import { setGenerationLogged } from '../generations.ts';
import type { BulkLoadOptions, Projection } from '../projection.ts';
import { RETENTION_APPLIED } from '../retentionParts.ts';
import { applyChatEvents, emptyBatchState } from './applyChatEvent.ts';
import { loadRestoredMessages } from './batchStore.ts';
import { copyText } from './copyText.ts';
import { DEFAULT_MESSAGES_IN_MEMORY, MessageSpill } from './messageSpill.ts';
import { applyRetentionRows } from './retainedRoom.ts';
import { CHAT_TABLES, type ChatTable } from './schema.ts';

/** for building the keys over the loaded rows in memory rather than in sorted runs on disk */
const BULK_INDEX_MEMORY = '256MB';

/** tables created with a primary key (room_feed's key is built with the secondary indexes) */
const KEYED_TABLES = CHAT_TABLES.filter((table) => table.name !== 'room_feed');

/** COPY text, as strings or (read back from a spill file) bytes */
type CopySource = Iterable<string> | AsyncIterable<string | Buffer>;

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
  let spill: MessageSpill | undefined;
  // a retention run's delete (and a shred's spared days) are rows, not tombstones the fold reads: they are
  // applied to the loaded tables, in order, once the fold is done
  const retentions: RetentionApplied['data'][] = [];

  // the fold runs as COPY pulls the feed's rows: PostgreSQL writes one page while the next is folded
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

  try {
    return await inTransaction(pool, async (client) => {
      // a rebuild can always be redone: no need to wait for the WAL flush
      await client.query('SET LOCAL synchronous_commit = off');
      const columns = await tableColumns(client, schema);
      spill = new MessageSpill(state, {
        eventStore,
        upTo: options.upTo,
        pageSize: options.pageSize,
        limit: options.rowsInMemory ?? DEFAULT_MESSAGES_IN_MEMORY,
        columns,
      });
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
        await copyInto(client, schema, table, columns[table], text);
      }

      for (const { name, primaryKey } of KEYED_TABLES) {
        await client.query(`ALTER TABLE ${schema}.${name} ADD PRIMARY KEY (${primaryKey.join(', ')})`);
      }
      for (const retention of retentions) await applyRetentionRows(client, schema, retention);
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
  } finally {
    await spill?.dispose();
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
  text: CopySource,
): Promise<void> {
  await pipeline(
    Readable.from(text),
    client.query(copyFrom(`COPY ${schema}.${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}
