// I/O around the pure apply: load every row a batch of events touches (a handful of queries, whatever
// the batch size), then write back what changed with one bulk statement per table. Runs inside the
// caller's transaction, which also moves the checkpoint.
import type pg from 'pg';
import type { ChatEvent } from '../../domain/events.ts';
import { messageStream } from '../../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { comparePositions } from '../../eventstore/eventStore.ts';
import type { BatchState } from './evolve.ts';
import { blockKey, emptyBatchState, messageSnapshot, participantKey } from './evolve.ts';
import type { MessageRow, ParticipantRow, ReportRow, RoomRow, UserBlockRow, UserRow } from './rows.ts';

type Keys = {
  rooms: Set<string>;
  /** rooms whose last message the apply may need (room frames, mark-all-read) */
  roomsWithLastMessage: Set<string>;
  messages: Set<string>;
  participants: Map<string, [string, string]>;
  users: Set<string>;
  reports: Set<string>;
  blocks: Map<string, [string, string]>;
};

function keysOf(events: readonly RecordedEvent[]): Keys {
  const keys: Keys = {
    rooms: new Set(),
    roomsWithLastMessage: new Set(),
    messages: new Set(),
    participants: new Map(),
    users: new Set(),
    reports: new Set(),
    blocks: new Map(),
  };
  const participant = (roomId: string, userId: string) => {
    keys.participants.set(participantKey(roomId, userId), [roomId, userId]);
    keys.users.add(userId);
  };
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as ChatEvent;
    if ('roomId' in event.data) keys.rooms.add(event.data.roomId);
    if ('messageId' in event.data) keys.messages.add(event.data.messageId);
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
        keys.messages.add(event.data.upToMessageId);
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

async function selectRows<Row>(db: pg.ClientBase, sql: string, params: unknown[]): Promise<Row[]> {
  const { rows } = await db.query<{ r: Row }>(sql, params);
  return rows.map((row) => row.r);
}

/** Loads the rows `events` touch from generation `schema` into a fresh BatchState. */
export async function loadBatchState(
  db: pg.ClientBase,
  schema: string,
  events: readonly RecordedEvent[],
  eventStore: EventStore,
): Promise<BatchState> {
  const keys = keysOf(events);
  const state = emptyBatchState();

  for (const room of await selectRows<RoomRow>(
    db,
    `SELECT to_json(t) AS r FROM ${schema}.rooms t WHERE id = ANY($1)`,
    [[...keys.rooms]],
  )) {
    state.rooms.set(room.id, room);
    if (keys.roomsWithLastMessage.has(room.id) && room.last_message_id)
      keys.messages.add(room.last_message_id);
  }
  for (const message of await selectRows<MessageRow>(
    db,
    `SELECT to_json(t) AS r FROM ${schema}.messages t WHERE id = ANY($1)`,
    [[...keys.messages]],
  )) {
    state.messages.set(message.id, message);
    keys.users.add(message.sender_id);
  }
  const participantKeys = [...keys.participants.values()];
  for (const p of await selectRows<ParticipantRow>(
    db,
    `SELECT to_json(t) AS r FROM ${schema}.participants t
     WHERE (room_id, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [participantKeys.map(([room]) => room), participantKeys.map(([, user]) => user)],
  )) {
    state.participants.set(participantKey(p.room_id, p.user_id), p);
  }
  for (const user of await selectRows<UserRow>(
    db,
    `SELECT to_json(t) AS r FROM ${schema}.users t WHERE id = ANY($1)`,
    [[...keys.users]],
  )) {
    state.users.set(user.id, user);
  }
  if (keys.reports.size > 0) {
    for (const report of await selectRows<ReportRow>(
      db,
      `SELECT to_json(t) AS r FROM ${schema}.reports t WHERE id = ANY($1)`,
      [[...keys.reports]],
    )) {
      state.reports.set(report.id, report);
    }
  }
  if (keys.blocks.size > 0) {
    const pairs = [...keys.blocks.values()];
    for (const block of await selectRows<UserBlockRow>(
      db,
      `SELECT to_json(t) AS r FROM ${schema}.user_blocks t
       WHERE (user_id, blocked_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map(([user]) => user), pairs.map(([, blocked]) => blocked)],
    )) {
      state.blocks.set(blockKey(block.user_id, block.blocked_user_id), block);
    }
  }
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

async function upsert(
  db: pg.ClientBase,
  schema: string,
  table: string,
  conflict: readonly string[],
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return;
  const updated = Object.keys(rows[0]!).filter((column) => !conflict.includes(column));
  const onConflict =
    updated.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET (${updated.join(', ')}) = ROW(${updated.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  await db.query(
    `INSERT INTO ${schema}.${table} SELECT * FROM json_populate_recordset(NULL::${schema}.${table}, $1::json)
     ON CONFLICT (${conflict.join(', ')}) ${onConflict}`,
    [JSON.stringify(rows)],
  );
}

async function insert(db: pg.ClientBase, schema: string, table: string, rows: readonly object[]) {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO ${schema}.${table} SELECT * FROM json_populate_recordset(NULL::${schema}.${table}, $1::json)`,
    [JSON.stringify(rows)],
  );
}

/** Writes everything the batch changed (and its feed) into generation `schema`. */
export async function flushBatchState(db: pg.ClientBase, schema: string, state: BatchState): Promise<void> {
  const { dirty } = state;
  await upsert(db, schema, 'rooms', ['id'], pick(state.rooms, dirty.rooms));
  await upsert(
    db,
    schema,
    'participants',
    ['room_id', 'user_id'],
    pick(state.participants, dirty.participants),
  );
  await upsert(db, schema, 'messages', ['id'], pick(state.messages, dirty.messages));
  await upsert(db, schema, 'users', ['id'], pick(state.users, dirty.users));
  await upsert(db, schema, 'reports', ['id'], pick(state.reports, dirty.reports));

  const replaced = [...state.edits].filter(([, edits]) => edits.replace).map(([id]) => id);
  if (replaced.length > 0) {
    await db.query(`DELETE FROM ${schema}.message_edits WHERE message_id = ANY($1)`, [replaced]);
  }
  await insert(
    db,
    schema,
    'message_edits',
    [...state.edits.values()].flatMap((edits) => edits.rows),
  );

  const unblocked = [...dirty.blocks].filter((key) => state.blocks.get(key) === null);
  if (unblocked.length > 0) {
    await db.query(
      `DELETE FROM ${schema}.user_blocks WHERE (user_id, blocked_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [unblocked.map((key) => key.split('|')[0]), unblocked.map((key) => key.split('|')[1])],
    );
  }
  await upsert(db, schema, 'user_blocks', ['user_id', 'blocked_user_id'], pick(state.blocks, dirty.blocks));

  await insert(db, schema, 'room_feed', state.feedRows);
}
