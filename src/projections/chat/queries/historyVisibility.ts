// History visibility: which part of a room's history a user may read. One rule for every read of history
// (message lists, single messages, edit history, reactions, read receipts, the room's last message, the
// socket's replay and live frames; search, which adds one thing, below):
//   - nothing, unless the user is a current participant of the room (an ex-member reads nothing);
//   - `shared` rooms (the default): everything, from the room's creation;
//   - `joined` rooms: what was sent during the user's membership windows (membership_windows: from each
//     join to its leave or removal), every time they were in.
// The room's setting as it is now decides, also for what was sent before it changed.
// The rule is SQL for the queries to join or test against, so that lists are filtered in the database.
import type { HistoryVisibility } from '../../../domain/events.ts';
import type { Db } from '../../projection.ts';

/** the end of a range that has none (an open membership window, or the whole of a shared history) */
const OPEN_END = 2_147_483_647;

/** SQL: the room `r` (a rooms row) shows each member only their own windows. */
export const JOINED_HISTORY_SQL = (r: string) =>
  `(${r}.settings->>'historyVisibility' IS NOT DISTINCT FROM 'joined')`;

/**
 * SQL for the ranges of feed seqs of room `room` that user `user` may read, as rows `(from_seq, to_seq)`,
 * both included: none for anyone but a current participant, one range over everything in a `shared`
 * room, one per membership window in a `joined` room. `room` and `user` are SQL expressions (parameters
 * or columns of the enclosing query); the aliases inside start with `hv_` so as not to shadow the caller's.
 */
export function visibleRanges(room: string, user: string): string {
  return `SELECT 0 AS from_seq, ${OPEN_END} AS to_seq FROM chat_read.rooms hv_r
      JOIN chat_read.participants hv_p ON hv_p.room_id = hv_r.id AND hv_p.user_id = ${user} AND hv_p.left_at IS NULL
      WHERE hv_r.id = ${room} AND NOT ${JOINED_HISTORY_SQL('hv_r')}
    UNION ALL
    SELECT hv_w.from_seq, coalesce(hv_w.to_seq, ${OPEN_END}) AS to_seq FROM chat_read.rooms hv_r
      JOIN chat_read.participants hv_p ON hv_p.room_id = hv_r.id AND hv_p.user_id = ${user} AND hv_p.left_at IS NULL
      JOIN chat_read.membership_windows hv_w ON hv_w.room_id = hv_r.id AND hv_w.user_id = ${user}
      WHERE hv_r.id = ${room} AND ${JOINED_HISTORY_SQL('hv_r')}`;
}

/**
 * SQL for what a search by user `user` may find, as rows `(room_id, from_seq, to_seq)`, both included: in
 * each room they are or were in, the visible ranges above while they are a member; after they left or
 * were removed, what they could read up to then: their windows in a `joined` room, everything up to their
 * last leave in a `shared` one. Nothing in a room they were never in. `room`, when given, keeps one room.
 * Aliases start with `sr_`.
 */
export function searchableRanges(user: string, room?: string): string {
  const inRoom = room ? `AND sr_p.room_id = ${room}` : '';
  // driven by the user's own participant rows, each room's setting picking its ranges: the planner made
  // the two halves of a UNION start from every `joined` room of the service instead (bench/search.ts:
  // 3,334 probes of membership_windows for a member of 200 rooms, most of a search's time under load)
  return `SELECT sr_p.room_id, sr_a.from_seq, sr_a.to_seq
      FROM chat_read.participants sr_p JOIN chat_read.rooms sr_r ON sr_r.id = sr_p.room_id
      CROSS JOIN LATERAL (
        SELECT 0 AS from_seq, CASE WHEN sr_p.left_at IS NULL THEN ${OPEN_END} ELSE sr_p.left_seq END AS to_seq
        WHERE NOT ${JOINED_HISTORY_SQL('sr_r')}
        UNION ALL
        SELECT sr_w.from_seq, coalesce(sr_w.to_seq, ${OPEN_END}) FROM chat_read.membership_windows sr_w
        WHERE ${JOINED_HISTORY_SQL('sr_r')} AND sr_w.room_id = sr_p.room_id AND sr_w.user_id = sr_p.user_id
      ) sr_a
      WHERE sr_p.user_id = ${user} ${inRoom}`;
}

/** SQL condition: user `user` may read what was sent at feed seq `seq` in room `room` (see visibleRanges). */
export function seesSeq(room: string, user: string, seq: string): string {
  return `EXISTS (SELECT 1 FROM (${visibleRanges(room, user)}) hv WHERE ${seq} BETWEEN hv.from_seq AND hv.to_seq)`;
}

export type MembershipWindow = { fromSeq: number; toSeq: number | null };

export type HistoryAccess = {
  history: HistoryVisibility;
  /** every membership window of the user in the room, oldest first; the last one is open */
  windows: MembershipWindow[];
};

/**
 * What a current participant may read of a room's feed, for realtime (which checks live frames itself);
 * null for anyone else.
 */
export async function historyAccess(db: Db, roomId: string, userId: string): Promise<HistoryAccess | null> {
  const { rows } = await db.query<{ joined: boolean; from_seq: number; to_seq: number | null }>(
    `SELECT ${JOINED_HISTORY_SQL('r')} AS joined, w.from_seq, w.to_seq
     FROM chat_read.participants p
     JOIN chat_read.rooms r ON r.id = p.room_id
     JOIN chat_read.membership_windows w ON w.room_id = p.room_id AND w.user_id = p.user_id
     WHERE p.room_id = $1 AND p.user_id = $2 AND p.left_at IS NULL
     ORDER BY w.from_seq`,
    [roomId, userId],
  );
  if (rows.length === 0) return null;
  return {
    history: rows[0]!.joined ? 'joined' : 'shared',
    windows: rows.map((row) => ({ fromSeq: row.from_seq, toSeq: row.to_seq })),
  };
}
