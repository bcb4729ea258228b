// Participant queries: the member list, one participant by its REST id, and membership facts the
// realtime layer checks (a removed user gets nothing after their removal seq).

import type { ParticipantJson } from '../../../contract/resources.ts';
import type { Db } from '../../projection.ts';
import type { ParticipantRow } from '../rows.ts';
import { participantJson } from '../serializers.ts';

type ParticipantSelectRow = { p: ParticipantRow; username: string | null };
const PARTICIPANT_COLUMNS = 'to_json(p) AS p, u.username';
const toJson = (row: ParticipantSelectRow) => participantJson(row.p, row.username);

const CALLER_IS_MEMBER = `EXISTS (SELECT 1 FROM chat_read.participants me
  WHERE me.room_id = p.room_id AND me.user_id = $2 AND me.left_at IS NULL)`;

/** Current participants of a room in join order; null when the caller is not one of them. */
export async function listParticipants(
  db: Db,
  roomId: string,
  userId: string,
): Promise<ParticipantJson[] | null> {
  const { rows } = await db.query<ParticipantSelectRow & { caller: boolean }>(
    `SELECT ${PARTICIPANT_COLUMNS}, p.user_id = $2 AS caller FROM chat_read.participants p
     LEFT JOIN chat_read.users u ON u.id = p.user_id
     WHERE p.room_id = $1 AND p.left_at IS NULL AND ${CALLER_IS_MEMBER}
     ORDER BY p.joined_seq, p.user_id`,
    [roomId, userId],
  );
  return rows.length === 0 ? null : rows.map(toJson);
}

/** One participant (also one who has left) by its REST id, if the caller is in that room now. */
export async function getParticipantForUser(
  db: Db,
  id: string,
  userId: string,
): Promise<ParticipantJson | null> {
  const { rows } = await db.query<ParticipantSelectRow>(
    `SELECT ${PARTICIPANT_COLUMNS} FROM chat_read.participants p LEFT JOIN chat_read.users u ON u.id = p.user_id
     WHERE p.id = $1 AND ${CALLER_IS_MEMBER}`,
    [id, userId],
  );
  return rows[0] ? toJson(rows[0]) : null;
}

export type Membership = {
  participantId: string;
  /** still a member: may read and receive the room's feed */
  active: boolean;
  isAdmin: boolean;
  muted: boolean;
  mutedUntil: string | null;
  /** feed seq of the join: frames from here on concern this membership */
  joinedSeq: number;
  /** feed seq of the leave/removal: nothing after it may be delivered; null while a member */
  leftSeq: number | null;
  lastReadSeq: number;
};

/** The user's membership of a room (also a past one), null if they were never in it. */
export async function getMembership(db: Db, roomId: string, userId: string): Promise<Membership | null> {
  const { rows } = await db.query<ParticipantRow>(
    'SELECT * FROM chat_read.participants WHERE room_id = $1 AND user_id = $2',
    [roomId, userId],
  );
  const p = rows[0];
  if (!p) return null;
  return {
    participantId: p.id,
    active: p.left_at === null,
    isAdmin: p.is_admin,
    muted: p.muted,
    mutedUntil: p.muted_until === null ? null : new Date(p.muted_until).toISOString(),
    joinedSeq: p.joined_seq,
    leftSeq: p.left_seq,
    lastReadSeq: p.last_read_seq,
  };
}

/**
 * SQL for a participant's unread count: messages after their read marker, not deleted or hidden, not
 * their own. `p` is the participant row. It needs no history visibility check: a (re)join puts the
 * marker at the join, so only messages of the current membership window can count, and a current
 * participant may read those under either setting.
 */
export const UNREAD_COUNT_SQL = `(SELECT count(*) FROM chat_read.messages um
  WHERE um.room_id = p.room_id AND um.seq > p.last_read_seq AND NOT um.is_deleted AND NOT um.is_hidden
    AND um.sender_id <> p.user_id)::int`;

/** The user's unread count in a room; null when they are not a participant. */
export async function unreadCount(db: Db, roomId: string, userId: string): Promise<number | null> {
  const { rows } = await db.query<{ unread: number }>(
    `SELECT ${UNREAD_COUNT_SQL} AS unread FROM chat_read.participants p
     WHERE p.room_id = $1 AND p.user_id = $2 AND p.left_at IS NULL`,
    [roomId, userId],
  );
  return rows[0]?.unread ?? null;
}
