// The chat projection: rooms, participants, membership windows, messages, edit history, the room feed
// and users, from the room, message and read-marker streams. The live projector keeps the rows it
// committed between batches (rowCache.ts); a rebuild from 0 folds the store in memory and COPYs the rows
// (bulkRebuild.ts).
import type { RetentionApplied, SubjectErased } from '../../domain/events.ts';
import type { RecordedEvent } from '../../eventstore/eventStore.ts';
import type { FeedEntry, UserNotice } from '../changeFeed.ts';
import type { Projection } from '../projection.ts';
import { RETENTION_APPLIED } from '../retentionParts.ts';
import { REWRITING_TYPES, splitAtRewrites } from '../rewriteParts.ts';
import { applyChatEvents, type BatchState, isChatProjectedEvent } from './applyChatEvent.ts';
import { flushBatchState, loadBatchState } from './batchStore.ts';
import { bulkRebuild } from './bulkRebuild.ts';
import { eraseSubjectRows } from './erasedSubject.ts';
import { applyRetentionRows } from './retainedRoom.ts';
import { createRowCache, forgetRows, type RowCache, rememberBatch } from './rowCache.ts';
import { CHAT_INDEXES_SQL, CHAT_TABLES, CHAT_TABLES_SQL } from './schema.ts';

export const CHAT_PROJECTION = 'chat';

export const chatProjection: Projection<RowCache> = {
  name: CHAT_PROJECTION,
  version: 5,
  readSchema: 'chat_read',
  tables: CHAT_TABLES,
  tablesSql: CHAT_TABLES_SQL,
  indexesSql: CHAT_INDEXES_SQL,
  handles: (type) => isChatProjectedEvent(type) || REWRITING_TYPES.includes(type),

  async projectBatch(client, schema, events, { eventStore, cache }) {
    // an erasure or a retention run blanks rows already written: what comes before it is flushed first,
    // and the rows kept between batches are dropped (they hold the text), so what follows it loads what
    // the database has
    const feed: FeedEntry[] = [];
    const notices: UserNotice[] = [];
    let batch: BatchState | null = null;
    for (const part of splitAtRewrites(events)) {
      if (part.rewrite) {
        if (part.rewrite.type === RETENTION_APPLIED) {
          await applyRetentionRows(client, schema, part.rewrite.data as RetentionApplied['data']);
        } else {
          await eraseSubjectRows(
            client,
            schema,
            part.rewrite as RecordedEvent<string, SubjectErased['data']>,
          );
        }
        if (cache) forgetRows(cache);
        batch = null;
        continue;
      }
      batch = await loadBatchState(client, schema, part.events, eventStore, cache);
      applyChatEvents(batch, part.events);
      await flushBatchState(client, schema, batch);
      feed.push(...batch.feed);
      notices.push(...batch.notices);
    }
    const last = batch;
    return { feed, notices, committed: cache && last ? () => rememberBatch(cache, last) : undefined };
  },
  createCache: () => createRowCache(),
  bulkLoad: bulkRebuild,
};
