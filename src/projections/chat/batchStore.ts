// I/O around the pure apply: load every row a batch of events touches (from the live projector's row
// cache, else a handful of queries, whatever the batch size), then write back what changed in one
// statement. Runs inside the caller's transaction, which also moves the checkpoint.
import type pg from 'pg';
import { messageStream } from '../../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { comparePositions } from '../../eventstore/eventStore.ts';
import { BatchWrites, loadRows } from '../batchSql.ts';
import type { BatchState, ChatProjectedEvent } from './applyChatEvent.ts';
import { emptyBatchState, messageSnapshot, participantKey } from './applyChatEvent.ts';
import type { RowCache } from './rowCache.ts';
import type { ParticipantRow } from './rows.ts';

/** Sets of ids are maps of id to itself, so that every kind of key goes through notCached alike. */
type IdSet = Map<string, string>;
const add = (ids: IdSet, id: string) => ids.set(id, id);

type Keys = {
  rooms: IdSet;
  /** rooms whose last message the apply may need (room frames, mark-all-read) */
  roomsWithLastMessage: Set<string>;
  messages: IdSet;
  participants: Map<string, [string, string]>;
  users: IdSet;
};

/**
 * The chat events that read an existing message row by its id, and which one (a room's last message, read
 * by room frames, aside). A MessageSent starts its message's stream: there is no row to read for it yet.
 */
export const MESSAGE_READERS = {
  MessageEdited: (data: { messageId: string }) => data.messageId,
  MessageDeleted: (data: { messageId: string }) => data.messageId,
  MessageHidden: (data: { messageId: string }) => data.messageId,
  MessageRestored: (data: { messageId: string }) => data.messageId,
  ReactionAdded: (data: { messageId: string }) => data.messageId,
  ReactionRemoved: (data: { messageId: string }) => data.messageId,
  MessagesRead: (data: { upToMessageId: string }) => data.upToMessageId,
} satisfies Partial<Record<ChatProjectedEvent['type'], (data: never) => string>>;

/** the message row `event` reads by id, if any */
export function messageReadBy(event: { type: string; data: unknown }): string | undefined {
  const read = MESSAGE_READERS[event.type as keyof typeof MESSAGE_READERS] as
    | ((data: unknown) => string)
    | undefined;
  return read?.(event.data);
}

function keysOf(events: readonly RecordedEvent[]): Keys {
  const keys: Keys = {
    rooms: new Map(),
    roomsWithLastMessage: new Set(),
    messages: new Map(),
    participants: new Map(),
    users: new Map(),
  };
  const participant = (roomId: string, userId: string) => {
    keys.participants.set(participantKey(roomId, userId), [roomId, userId]);
    add(keys.users, userId);
  };
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as ChatProjectedEvent;
    if ('roomId' in event.data) add(keys.rooms, event.data.roomId);
    const message = messageReadBy(event);
    if (message !== undefined) add(keys.messages, message);
    switch (event.type) {
      case 'RoomCreated':
        for (const p of event.data.participants) participant(event.data.roomId, p.userId);
        break;
      case 'RoomUpdated':
      case 'RoomArchived':
      case 'RoomUnarchived':
        keys.roomsWithLastMessage.add(event.data.roomId);
        break;
      case 'ParticipantAdded':
      case 'ParticipantRemoved':
      case 'ParticipantLeft':
      case 'ParticipantAdminSet':
      case 'ParticipantMuted':
      case 'ParticipantUnmuted':
      case 'RoomNotificationsMuted':
        participant(event.data.roomId, event.data.userId);
        break;
      case 'MessageSent':
        participant(event.data.roomId, event.data.senderId);
        break;
      case 'MessagesRead':
        participant(event.data.roomId, event.data.userId);
        break;
      case 'RoomMarkedRead':
        participant(event.data.roomId, event.data.userId);
        keys.roomsWithLastMessage.add(event.data.roomId);
        break;
    }
  }
  return keys;
}

/**
 * Takes the rows a cache already holds into `state` and returns what identifies the others (the values of
 * `keys`), which the caller reads from the database. Without a cache: all of them.
 */
function notCached<Id, Row extends object>(
  keys: ReadonlyMap<string, Id>,
  cached: { get(key: string): Row | undefined } | undefined,
  into: Map<string, Row>,
): Id[] {
  const missing: Id[] = [];
  for (const [key, id] of keys.entries()) {
    const row = cached?.get(key);
    if (row) into.set(key, row);
    else missing.push(id);
  }
  return missing;
}

/**
 * Loads the rows `events` touch from generation `schema` into a fresh BatchState: from `cache` when it
 * holds them (the live projector's rows, see rowCache.ts), from the database otherwise.
 */
export async function loadBatchState(
  db: pg.ClientBase,
  schema: string,
  events: readonly RecordedEvent[],
  eventStore: EventStore,
  cache?: RowCache,
): Promise<BatchState> {
  const keys = keysOf(events);
  const state = emptyBatchState();
  const byId = <Row extends { id: string }>(table: string, ids: string[], into: Map<string, Row>) =>
    loadRows<Row>(
      db,
      `${schema}.${table}`,
      ['id'],
      ids.map((id) => [id]),
      into,
      (row) => row.id,
    );

  await byId('rooms', notCached(keys.rooms, cache?.rooms, state.rooms), state.rooms);
  for (const room of state.rooms.values()) {
    if (keys.roomsWithLastMessage.has(room.id) && room.last_message_id)
      add(keys.messages, room.last_message_id);
  }
  await byId('messages', notCached(keys.messages, cache?.messages, state.messages), state.messages);
  for (const message of state.messages.values()) add(keys.users, message.sender_id);
  await loadRows<ParticipantRow>(
    db,
    `${schema}.participants`,
    ['room_id', 'user_id'],
    notCached(keys.participants, cache?.participants, state.participants),
    state.participants,
    (p) => participantKey(p.room_id, p.user_id),
  );
  const users = notCached(keys.users, cache?.users, state.users);
  await byId('users', users, state.users);
  // a user seen without a name has no row: remember that too, or every batch would look again
  for (const id of users) if (!state.users.has(id)) cache?.users.set(id, { id, username: null });
  await loadRestoredMessages(state, events, eventStore);
  return state;
}

/**
 * A restore brings back text the read model deliberately forgot: read it from the message's stream, as
 * of the restore (never later events, so a rebuild restores exactly what the live projector did).
 */
export async function loadRestoredMessages(
  state: BatchState,
  events: readonly RecordedEvent[],
  eventStore: EventStore,
): Promise<void> {
  for (const restore of events) {
    if (restore.type !== 'MessageRestored') continue;
    const messageId = (restore.data as { messageId: string }).messageId;
    const history = await eventStore.readStream(messageStream(messageId));
    const upToRestore = history.filter((e) => comparePositions(e.position, restore.position) <= 0);
    state.restored.set(restore.id, messageSnapshot(upToRestore));
  }
}

function pick<Row>(map: Map<string, Row | null>, ids: Set<string>): Row[] {
  const rows: Row[] = [];
  for (const id of ids) {
    const row = map.get(id);
    if (row) rows.push(row);
  }
  return rows;
}

/** Writes everything the batch changed (and its feed) into generation `schema`. */
export async function flushBatchState(db: pg.ClientBase, schema: string, state: BatchState): Promise<void> {
  const { dirty } = state;
  // what a batch removes goes first, in statements of its own (rare: deletes, hides, restores)
  const replaced = [...state.edits].filter(([, edits]) => edits.replace).map(([id]) => id);
  if (replaced.length > 0) {
    await db.query(`DELETE FROM ${schema}.message_edits WHERE message_id = ANY($1)`, [replaced]);
  }

  const writes = new BatchWrites(schema);
  writes.insert('rooms', pick(state.rooms, dirty.rooms), ['id']);
  writes.insert('participants', pick(state.participants, dirty.participants), ['room_id', 'user_id']);
  writes.insert('membership_windows', [...state.windows.values()], ['room_id', 'user_id', 'from_seq']);
  writes.insert('messages', pick(state.messages, dirty.messages), ['id']);
  writes.insert('users', pick(state.users, dirty.users), ['id']);
  writes.insert(
    'message_edits',
    [...state.edits.values()].flatMap((edits) => edits.rows),
  );
  writes.insert('room_feed', state.feedRows);
  await writes.run(db);
}
