// The chat projection: rooms, participants, membership windows, messages, edit history, the room feed
// and users, from the room, message and read-marker streams. The live projector keeps the rows it
// committed between batches (rowCache.ts); a rebuild from 0 folds the store in memory and COPYs the rows
// (bulkRebuild.ts).
import type { Projection } from '../projection.ts';
import { applyChatEvents, isChatProjectedEvent } from './applyChatEvent.ts';
import { flushBatchState, loadBatchState } from './batchStore.ts';
import { bulkRebuild } from './bulkRebuild.ts';
import { createRowCache, type RowCache, rememberBatch } from './rowCache.ts';
import { CHAT_INDEXES_SQL, CHAT_TABLES, CHAT_TABLES_SQL } from './schema.ts';

export const CHAT_PROJECTION = 'chat';

export const chatProjection: Projection<RowCache> = {
  name: CHAT_PROJECTION,
  version: 4,
  readSchema: 'chat_read',
  tables: CHAT_TABLES,
  tablesSql: CHAT_TABLES_SQL,
  indexesSql: CHAT_INDEXES_SQL,
  handles: isChatProjectedEvent,

  async projectBatch(client, schema, events, { eventStore, cache }) {
    const batch = await loadBatchState(client, schema, events, eventStore, cache);
    applyChatEvents(batch, events);
    await flushBatchState(client, schema, batch);
    return {
      feed: batch.feed,
      notices: batch.notices,
      committed: cache ? () => rememberBatch(cache, batch) : undefined,
    };
  },
  createCache: () => createRowCache(),
  bulkLoad: (options) => bulkRebuild(chatProjection, options),
};
