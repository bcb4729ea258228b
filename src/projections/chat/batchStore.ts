// I/O around the pure apply: load every row a batch of events touches (from the live projector's row
// cache, else a handful of queries, whatever the batch size), then write back what changed in one
// statement. Runs inside the caller's transaction, which also moves the checkpoint.
import type pg from 'pg';
import type { ChatEvent } from '../../domain/events.ts';
import { messageStream } from '../../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { comparePositions } from '../../eventstore/eventStore.ts';
import type { BatchState } from './evolve.ts';
import { blockKey, emptyBatchState, messageSnapshot, participantKey } from './evolve.ts';
import type { RowCache } from './rowCache.ts';
import type { ParticipantRow, UserBlockRow } from './rows.ts';

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
  reports: Set<string>;
  blocks: Map<string, [string, string]>;
};

function keysOf(events: readonly RecordedEvent[]): Keys {
  const keys: Keys = {
    rooms: new Map(),
    roomsWithLastMessage: new Set(),
    messages: new Map(),
    participants: new Map(),
    users: new Map(),
    reports: new Set(),
    blocks: new Map(),
  };
  const participant = (roomId: string, userId: string) => {
    keys.participants.set(participantKey(roomId, userId), [roomId, userId]);
    add(keys.users, userId);
  };
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as ChatEvent;
    if ('roomId' in event.data) add(keys.rooms, event.data.roomId);
    // a MessageSent starts its message's stream: there is no row to load for it yet
    if ('messageId' in event.data && event.type !== 'MessageSent') add(keys.messages, event.data.messageId);
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
        add(keys.messages, event.data.upToMessageId);
        break;
      case 'RoomMarkedRead':
        participant(event.data.roomId, event.data.userId);
        keys.roomsWithLastMessage.add(event.data.roomId);
        break;
      case 'UserBlocked':
      case 'UserUnblocked':
        keys.blocks.set(blockKey(event.data.userId, event.data.blockedUserId), [
          event.data.userId,
          event.data.blockedUserId,
        ]);
        break;
      case 'MessageReported':
      case 'ReportResolved':
        keys.reports.add(event.data.reportId);
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
  await byId('reports', [...keys.reports], state.reports);
  await loadRows<UserBlockRow>(
    db,
    `${schema}.user_blocks`,
    ['user_id', 'blocked_user_id'],
    [...keys.blocks.values()],
    state.blocks,
    (block) => blockKey(block.user_id, block.blocked_user_id),
  );
  await loadRestoredMessages(state, events, eventStore);
  return state;
}

/** The rows of `table` whose `columns` hold one of `keys` (none asked: no query), into `into` by `keyOf`. */
async function loadRows<Row>(
  db: pg.ClientBase,
  table: string,
  columns: readonly string[],
  keys: readonly (readonly string[])[],
  into: Map<string, Row | null>,
  keyOf: (row: Row) => string,
): Promise<void> {
  if (keys.length === 0) return;
  const unnest = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const match =
    columns.length === 1
      ? `${columns[0]} = ANY($1::text[])` // an index probe per key, whatever the planner guesses
      : `(${columns.join(', ')}) IN (SELECT * FROM unnest(${unnest}))`;
  const { rows } = await db.query<{ r: Row }>(
    `SELECT to_json(t) AS r FROM ${table} t WHERE ${match}`,
    columns.map((_, i) => keys.map((key) => key[i])),
  );
  for (const { r } of rows) into.set(keyOf(r), r);
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

/**
 * The batch's inserts and upserts as one statement (one round trip however many tables a batch touches):
 * each is a data-modifying CTE of the last one. They write different tables, so their order does not matter.
 */
class Writes {
  private readonly parts: string[] = [];
  private readonly params: string[] = [];
  private readonly schema: string;
  constructor(schema: string) {
    this.schema = schema;
  }

  insert(table: string, rows: readonly object[], conflict?: readonly string[]): void {
    if (rows.length === 0) return;
    this.params.push(JSON.stringify(rows));
    const into = `${this.schema}.${table}`;
    let sql = `INSERT INTO ${into} SELECT * FROM json_populate_recordset(NULL::${into}, $${this.params.length}::json)`;
    if (conflict) {
      const updated = Object.keys(rows[0]!).filter((column) => !conflict.includes(column));
      sql += ` ON CONFLICT (${conflict.join(', ')}) `;
      sql +=
        updated.length === 0
          ? 'DO NOTHING'
          : `DO UPDATE SET (${updated.join(', ')}) = ROW(${updated.map((c) => `EXCLUDED.${c}`).join(', ')})`;
    }
    this.parts.push(sql);
  }

  async run(db: pg.ClientBase): Promise<void> {
    if (this.parts.length === 0) return;
    const last = this.parts.at(-1)!;
    const ctes = this.parts.slice(0, -1).map((part, i) => `w${i} AS (${part})`);
    await db.query(ctes.length > 0 ? `WITH ${ctes.join(', ')} ${last}` : last, this.params);
  }
}

/** Writes everything the batch changed (and its feed) into generation `schema`. */
export async function flushBatchState(db: pg.ClientBase, schema: string, state: BatchState): Promise<void> {
  const { dirty } = state;
  // what a batch removes goes first, in statements of its own (rare: deletes, hides, restores, unblocks)
  const replaced = [...state.edits].filter(([, edits]) => edits.replace).map(([id]) => id);
  if (replaced.length > 0) {
    await db.query(`DELETE FROM ${schema}.message_edits WHERE message_id = ANY($1)`, [replaced]);
  }
  const unblocked = [...dirty.blocks].filter((key) => state.blocks.get(key) === null);
  if (unblocked.length > 0) {
    await db.query(
      `DELETE FROM ${schema}.user_blocks WHERE (user_id, blocked_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [unblocked.map((key) => key.split('|')[0]), unblocked.map((key) => key.split('|')[1])],
    );
  }

  const writes = new Writes(schema);
  writes.insert('rooms', pick(state.rooms, dirty.rooms), ['id']);
  writes.insert('participants', pick(state.participants, dirty.participants), ['room_id', 'user_id']);
  writes.insert('membership_windows', [...state.windows.values()], ['room_id', 'user_id', 'from_seq']);
  writes.insert('messages', pick(state.messages, dirty.messages), ['id']);
  writes.insert('users', pick(state.users, dirty.users), ['id']);
  writes.insert('reports', pick(state.reports, dirty.reports), ['id']);
  writes.insert(
    'message_edits',
    [...state.edits.values()].flatMap((edits) => edits.rows),
  );
  writes.insert('user_blocks', pick(state.blocks, dirty.blocks), ['user_id', 'blocked_user_id']);
  writes.insert('room_feed', state.feedRows);
  await writes.run(db);
}
