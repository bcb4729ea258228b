// The search projection: the text of every message's current version, in a table of its own with a
// text search vector (schema.ts). Its own version, checkpoint and generations, so a change to how text is
// indexed rebuilds only this model, beside live traffic, and swaps in without downtime like the others.
import type pg from 'pg';
import type { MessageSent, RetentionApplied, SubjectErased } from '../../domain/events.ts';
import { isSpared } from '../../domain/retention.ts';
import { messageStream, retentionStream } from '../../domain/streams.ts';
import { comparePositions, type EventStore, type RecordedEvent } from '../../eventstore/eventStore.ts';
import { loadRows } from '../batchSql.ts';
import { messageSnapshot } from '../chat/applyChatEvent.ts';
import type { Projection } from '../projection.ts';
import { pastRetention, RETENTION_APPLIED, retentionParameters, utcDay } from '../retentionParts.ts';
import { REWRITING_TYPES, splitAtRewrites } from '../rewriteParts.ts';
import {
  applySearchEvent,
  emptySearchBatch,
  type IndexedMessageRow,
  isSearchProjectedEvent,
  SEARCH_PROJECTED_TYPES,
  type SearchBatch,
} from './applySearchEvent.ts';
import { SEARCH_INDEXES_SQL, SEARCH_TABLES, SEARCH_TABLES_SQL } from './schema.ts';

export const SEARCH_PROJECTION = 'search';

/** the columns a batch writes (the vector is generated from `content`) */
const COLUMNS = [
  'message_id',
  'room_id',
  'sender_id',
  'created_at',
  'content',
  'has_attachment',
  'is_edited',
  'edit_count',
] as const satisfies readonly (keyof IndexedMessageRow)[];

export const searchProjection: Projection = {
  name: SEARCH_PROJECTION,
  // 2: the sender and attachment indexes (schema.ts); 3: the word index without a pending list (schema.ts);
  // a deploy rebuilds this model alone
  version: 3,
  readSchema: 'search_read',
  tables: SEARCH_TABLES,
  tablesSql: SEARCH_TABLES_SQL,
  indexesSql: SEARCH_INDEXES_SQL,
  handles: (type) => isSearchProjectedEvent(type) || REWRITING_TYPES.includes(type),
  eventTypes: [...SEARCH_PROJECTED_TYPES, ...REWRITING_TYPES],
  // nobody searches for a message within a fifth of a second of its sending (a writer who must find its own
  // passes `wait_for`): read five times a second under load, not every few events, since each batch costs
  // a store read, a transaction and a checkpoint move whatever its size (docs/performance.md, 2026-12-08)
  maxLagMs: 200,

  async projectBatch(client, schema, events, options) {
    for (const part of splitAtRewrites(events)) {
      if (part.rewrite?.type === RETENTION_APPLIED) await unindexRetained(client, schema, part.rewrite);
      else if (part.rewrite) await unindexErasedSubject(client, schema, part.rewrite);
      else await projectMessages(client, schema, part.events, options.eventStore);
    }
    return { feed: [], notices: [] };
  },
};

/** an erased person's messages sent up to the erasure leave the index (docs/privacy.md) */
async function unindexErasedSubject(
  client: pg.ClientBase,
  schema: string,
  erasure: RecordedEvent,
): Promise<void> {
  await client.query(`DELETE FROM ${schema}.indexed_messages WHERE sender_id = $1 AND created_at <= $2`, [
    (erasure.data as SubjectErased['data']).subjectId,
    erasure.metadata.occurredAt,
  ]);
}

/**
 * a retention run's messages leave the index: every one sent before the cutoff that no hold spares (the
 * index keeps no edit times, so one edited since goes too, earlier than in the chat model)
 */
async function unindexRetained(client: pg.ClientBase, schema: string, event: RecordedEvent): Promise<void> {
  await client.query(
    `DELETE FROM ${schema}.indexed_messages m WHERE m.room_id = $1
       AND ${pastRetention('m.sender_id', utcDay('m.created_at'), '$2', '$3')}`,
    retentionParameters(event.data as RetentionApplied['data']),
  );
}

async function projectMessages(
  client: pg.ClientBase,
  schema: string,
  events: readonly RecordedEvent[],
  eventStore: EventStore,
): Promise<void> {
  const batch = emptySearchBatch();
  // a send starts its stream: only the other events need the row as it is
  const touched = new Set(events.filter((e) => e.type !== 'MessageSent').map(messageIdOf));
  await loadRows<IndexedMessageRow>(
    client,
    `${schema}.indexed_messages`,
    ['message_id'],
    [...touched].map((id) => [id]),
    batch.rows,
    (row) => row.message_id,
  );
  await loadRestores(batch, events, eventStore);
  for (const event of events) applySearchEvent(batch, event);
  await writeSearchBatch(client, schema, batch);
}

const messageIdOf = (event: RecordedEvent) => (event.data as { messageId: string }).messageId;

/**
 * A restore brings back text this model removed: the message's stream as of the restore (never later),
 * unless a retention run took the message before the restore (hidden then, it had no row to remove; an
 * edit since may have left its current text readable, but the index keeps nothing retention took).
 */
async function loadRestores(batch: SearchBatch, events: readonly RecordedEvent[], eventStore: EventStore) {
  for (const restore of events) {
    if (restore.type !== 'MessageRestored') continue;
    const history = await eventStore.readStream(messageStream(messageIdOf(restore)));
    const upToRestore = history.filter((e) => comparePositions(e.position, restore.position) <= 0);
    const sent = upToRestore.find((e) => e.type === 'MessageSent');
    if (!sent || (await takenByRetention(eventStore, sent, restore))) continue;
    batch.restored.set(restore.id, {
      sent: sent.data as MessageSent['data'],
      sentAt: sent.metadata.occurredAt,
      snapshot: messageSnapshot(upToRestore),
    });
  }
}

/** whether a RetentionApplied of the message's room recorded before `restore` selects it (unindexRetained's rule) */
async function takenByRetention(eventStore: EventStore, sent: RecordedEvent, restore: RecordedEvent) {
  const { roomId, senderId } = sent.data as MessageSent['data'];
  const day = sent.metadata.occurredAt.slice(0, 10); // the UTC day, as utcDay(created_at) in SQL
  const runs = await eventStore.readStream(retentionStream(roomId));
  return runs.some((run) => {
    if (run.type !== RETENTION_APPLIED || comparePositions(run.position, restore.position) > 0) return false;
    const { cutoff, spared } = run.data as RetentionApplied['data'];
    return day < cutoff && !isSpared(spared, senderId, day);
  });
}

async function writeSearchBatch(
  client: Parameters<Projection['projectBatch']>[0],
  schema: string,
  batch: SearchBatch,
): Promise<void> {
  const changed = [...batch.changed];
  const removed = changed.filter((id) => batch.rows.get(id) === null);
  const written = changed.flatMap((id) => batch.rows.get(id) ?? []);
  if (removed.length > 0) {
    await client.query(`DELETE FROM ${schema}.indexed_messages WHERE message_id = ANY($1::text[])`, [
      removed,
    ]);
  }
  if (written.length === 0) return;
  // not BatchWrites: the generated vector column takes no value, so the columns are named
  const table = `${schema}.indexed_messages`;
  const columns = COLUMNS.join(', ');
  await client.query(
    `INSERT INTO ${table} (${columns})
     SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)
     ON CONFLICT (message_id) DO UPDATE SET (${columns}) = ROW(${COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})`,
    [JSON.stringify(written)],
  );
}
