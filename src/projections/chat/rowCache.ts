// Rows the live projector keeps between batches, so a busy room is not read back from PostgreSQL for every
// batch: its room row, the senders' participant and user rows, the recent messages that reactions, edits and
// read receipts name. The live projector is the only writer of the live generation (one leader at a time),
// so a row it committed stays exactly what it committed while it leads and the generation stays the same.
// The runner keeps one cache per lead term and generation, and drops it whenever a batch fails: the apply
// changes cached rows in place, and a rolled-back batch must not leave its changes behind.
import { LRUCache } from 'lru-cache';
import type { BatchState } from './applyChatEvent.ts';
import type { MessageRow, ParticipantRow, RoomRow, UserRow } from './rows.ts';

export type RowCache = {
  readonly rooms: LRUCache<string, RoomRow>;
  /** keyed by participantKey(roomId, userId) */
  readonly participants: LRUCache<string, ParticipantRow>;
  readonly users: LRUCache<string, UserRow>;
  readonly messages: LRUCache<string, MessageRow>;
};

/** Rows per table: a few hundred bytes each, so tens of megabytes at most. */
const MAX_ROWS = 50_000;

export function createRowCache(maxRows = MAX_ROWS): RowCache {
  return {
    rooms: new LRUCache({ max: maxRows }),
    participants: new LRUCache({ max: maxRows }),
    users: new LRUCache({ max: maxRows }),
    messages: new LRUCache({ max: maxRows }),
  };
}

/** After a batch committed: every row it loaded or wrote is now what the database holds. */
export function rememberBatch(cache: RowCache, batch: BatchState): void {
  for (const [id, room] of batch.rooms) cache.rooms.set(id, room);
  for (const [key, participant] of batch.participants) cache.participants.set(key, participant);
  for (const [id, user] of batch.users) cache.users.set(id, user);
  for (const [id, message] of batch.messages) cache.messages.set(id, message);
}

/** Drops every row (an erasure changed rows in the database behind the cache). */
export function forgetRows(cache: RowCache): void {
  cache.rooms.clear();
  cache.participants.clear();
  cache.users.clear();
  cache.messages.clear();
}
