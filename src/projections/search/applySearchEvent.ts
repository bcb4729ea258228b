// The search projection as a pure function over the rows a batch loaded: a sent message is indexed, an
// edit replaces its text, a delete or a hide removes it, a restore brings back the version the stream
// held at the restore (read ahead of the apply, as chat does). searchProjection.ts loads and writes.
import type { MessageEvent, MessageSent } from '../../domain/events.ts';
import type { RecordedEvent } from '../../eventstore/eventStore.ts';
import type { MessageSnapshot } from '../chat/applyChatEvent.ts';

/** A row of search_read.indexed_messages as written (its vector is computed by PostgreSQL). */
export type IndexedMessageRow = {
  message_id: string;
  room_id: string;
  sender_id: string;
  created_at: string;
  content: string;
  has_attachment: boolean;
  is_edited: boolean;
  edit_count: number;
};

/** What a restore brings back: the message as sent and its content as of the restore. */
export type RestoredMessage = { sent: MessageSent['data']; sentAt: string; snapshot: MessageSnapshot };

export type SearchBatch = {
  /** by message id; null: not indexed (never seen, deleted or hidden) */
  rows: Map<string, IndexedMessageRow | null>;
  changed: Set<string>;
  /** MessageRestored event id -> the message as of that event */
  restored: Map<string, RestoredMessage>;
};

type SearchedEvent = Exclude<MessageEvent, { type: 'ReactionAdded' | 'ReactionRemoved' }>;

/** Every type the search model is built from: a record, so that a new message event cannot be left out. */
const SEARCH_EVENT_TYPES: Record<SearchedEvent['type'], true> = {
  MessageSent: true,
  MessageEdited: true,
  MessageDeleted: true,
  MessageHidden: true,
  MessageRestored: true,
};

export const isSearchProjectedEvent = (type: string): boolean => Object.hasOwn(SEARCH_EVENT_TYPES, type);
export const SEARCH_PROJECTED_TYPES: readonly string[] = Object.keys(SEARCH_EVENT_TYPES);

export function emptySearchBatch(): SearchBatch {
  return { rows: new Map(), changed: new Set(), restored: new Map() };
}

export function applySearchEvent(batch: SearchBatch, recorded: RecordedEvent): void {
  const event = { type: recorded.type, data: recorded.data } as SearchedEvent;
  const id = event.data.messageId;
  const row = batch.rows.get(id) ?? null;
  switch (event.type) {
    case 'MessageSent': {
      // a message stream starts with its send: a row already there is this very message again
      if (batch.rows.has(id)) return;
      // hidden from the start by the moderation policy: nothing to find (a restore indexes it)
      set(batch, id, event.data.blocked ? null : sentRow(event.data, recorded.metadata.occurredAt));
      return;
    }
    case 'MessageEdited': {
      if (!row) return; // deleted or hidden messages take no edits (chat ignores them too)
      set(batch, id, {
        ...row,
        content: event.data.content ?? '', // '' once erased: nothing left to find
        is_edited: true,
        edit_count: row.edit_count + 1,
      });
      return;
    }
    case 'MessageDeleted':
    case 'MessageHidden': {
      if (!row) return;
      set(batch, id, null);
      return;
    }
    case 'MessageRestored': {
      const restored = batch.restored.get(recorded.id);
      if (row || !restored || restored.snapshot.is_deleted) return;
      const { sent, sentAt, snapshot } = restored;
      set(batch, id, {
        ...sentRow(sent, sentAt),
        content: snapshot.content,
        has_attachment: snapshot.attachment !== null,
        is_edited: snapshot.is_edited,
        edit_count: snapshot.edits.length,
      });
      return;
    }
    default: {
      const _other: never = event;
      return;
    }
  }
}

function sentRow(sent: MessageSent['data'], at: string): IndexedMessageRow {
  return {
    message_id: sent.messageId,
    room_id: sent.roomId,
    sender_id: sent.senderId,
    created_at: at,
    content: sent.content ?? '', // '' once erased (docs/privacy.md)
    has_attachment: Boolean(sent.attachment),
    is_edited: false,
    edit_count: 0,
  };
}

function set(batch: SearchBatch, id: string, row: IndexedMessageRow | null): void {
  batch.rows.set(id, row);
  batch.changed.add(id);
}
