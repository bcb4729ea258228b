// Room queries for one user: their room list (newest activity first, with unread counts) and one room.

import { validate as isUuid } from 'uuid';
import type { RoomJson } from '../../../contract/resources.ts';
import type { Db } from '../../projection.ts';
import type { MessageRow, RoomRow } from '../rows.ts';
import { messageJson, roomJson } from '../serializers.ts';
import { visibleRanges } from './historyVisibility.ts';
import { UNREAD_COUNT_SQL } from './participants.ts';

export type RoomForUserJson = RoomJson & { unread_count: number };

export type ListRoomsOptions = {
  roomType?: string;
  task?: string;
  property?: string;
  /** archived rooms too (default: active rooms only) */
  includeArchived?: boolean;
  limit: number;
  /** `nextCursor` of the previous page */
  cursor?: string;
};

type RoomSelectRow = {
  r: RoomRow;
  unread_count: number;
  lm: MessageRow | null;
  last_sender_username: string | null;
};

// The last message is the newest the participant may read: the room's last one, except in a `joined` room
// whose last message was sent outside their membership windows (then the newest within one, or none).
const ROOM_SELECT = `SELECT to_json(r) AS r, ${UNREAD_COUNT_SQL} AS unread_count,
    to_json(lm) AS lm, lu.username AS last_sender_username
  FROM chat_read.participants p
  JOIN chat_read.rooms r ON r.id = p.room_id
  LEFT JOIN LATERAL (SELECT vm.* FROM (${visibleRanges('r.id', 'p.user_id')}) hv
    CROSS JOIN LATERAL (SELECT * FROM chat_read.messages vm
      WHERE vm.room_id = r.id AND vm.seq BETWEEN hv.from_seq AND hv.to_seq ORDER BY vm.seq DESC LIMIT 1) vm
    ORDER BY vm.seq DESC LIMIT 1) lm ON true
  LEFT JOIN chat_read.users lu ON lu.id = lm.sender_id`;

function toJson(row: RoomSelectRow): RoomForUserJson {
  const last = row.lm ? messageJson(row.lm, row.last_sender_username) : null;
  return { ...roomJson(row.r, last), unread_count: row.unread_count };
}

const encodeCursor = (room: RoomRow) =>
  Buffer.from(JSON.stringify([room.last_activity_at, room.id])).toString('base64url');

/**
 * The timestamp as PostgreSQL writes it in row JSON (or an ISO string), within what timestamptz accepts:
 * a cursor is client input, and a value the cast refuses would fail the whole query.
 */
const CURSOR_TIME =
  /^(?!0000)(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-](0\d|1[0-5]):[0-5]\d)$/;

function isCursorTime(text: string): boolean {
  const match = CURSOR_TIME.exec(text);
  if (!match) return false;
  const [year, month, day] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function decodeCursor(cursor: string): [string, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(value) && value.length === 2) {
      const [time, id] = value as unknown[];
      if (typeof time === 'string' && isCursorTime(time) && typeof id === 'string' && isUuid(id)) {
        return [time, id];
      }
    }
  } catch {}
  return null;
}

/** The rooms the user is in now. A malformed cursor reads as the first page. */
export async function listRoomsForUser(
  db: Db,
  userId: string,
  options: ListRoomsOptions,
): Promise<{ rooms: RoomForUserJson[]; nextCursor: string | null }> {
  const params: unknown[] = [userId, options.limit];
  const where = ['p.user_id = $1', 'p.left_at IS NULL'];
  if (!options.includeArchived) where.push('r.is_active');
  if (options.roomType !== undefined) where.push(`r.room_type = $${params.push(options.roomType)}`);
  if (options.task !== undefined) where.push(`r.task_id = $${params.push(options.task)}`);
  if (options.property !== undefined) where.push(`r.property_id = $${params.push(options.property)}`);
  const after = options.cursor ? decodeCursor(options.cursor) : null;
  if (after) {
    where.push(
      `(r.last_activity_at, r.id) < ($${params.push(after[0])}::timestamptz, $${params.push(after[1])})`,
    );
  }
  const { rows } = await db.query<RoomSelectRow>(
    `${ROOM_SELECT} WHERE ${where.join(' AND ')} ORDER BY r.last_activity_at DESC, r.id DESC LIMIT $2`,
    params,
  );
  const last = rows.at(-1);
  return {
    rooms: rows.map(toJson),
    nextCursor: last && rows.length === options.limit ? encodeCursor(last.r) : null,
  };
}

/** One room with the user's unread count, null unless the user is in it now. */
export async function getRoomForUser(
  db: Db,
  roomId: string,
  userId: string,
): Promise<RoomForUserJson | null> {
  const { rows } = await db.query<RoomSelectRow>(
    `${ROOM_SELECT} WHERE r.id = $1 AND p.user_id = $2 AND p.left_at IS NULL`,
    [roomId, userId],
  );
  return rows[0] ? toJson(rows[0]) : null;
}

/** The revision of the room's stream as projected (its ETag); only for a room the caller may read. */
export async function roomRevision(db: Db, roomId: string): Promise<number | null> {
  const { rows } = await db.query<{ revision: number }>(
    'SELECT revision FROM chat_read.rooms WHERE id = $1',
    [roomId],
  );
  return rows[0]?.revision ?? null;
}
