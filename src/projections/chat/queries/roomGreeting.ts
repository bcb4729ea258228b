// What a room socket needs before it greets: the caller's membership (which part of the history they may
// read), their unread count, who else is in the room and which of them chose to be invisible
// (presence_settings, src/presence/presenceSettings.ts), in one round trip. A reconnect storm opens
// thousands of room sockets at once; these were five queries each.
import type { Db } from '../../projection.ts';
import { type HistoryAccess, JOINED_HISTORY_SQL } from './historyVisibility.ts';
import { UNREAD_COUNT_SQL } from './participants.ts';

export type RoomGreeting = {
  access: HistoryAccess;
  unreadCount: number;
  /** the room's other current participants, in the order they joined */
  roommates: string[];
  /** those of them who are invisible (shown offline) */
  invisibleRoommates: string[];
};

/** The greeting's reads for a current participant of the room; null for anyone else. */
export async function roomGreeting(db: Db, roomId: string, userId: string): Promise<RoomGreeting | null> {
  const { rows } = await db.query<{
    joined: boolean;
    windows: [number, number | null][] | null;
    unread: number;
    roommates: string[];
    invisible_roommates: string[];
  }>(
    `SELECT ${JOINED_HISTORY_SQL('r')} AS joined,
       (SELECT json_agg(json_build_array(w.from_seq, w.to_seq) ORDER BY w.from_seq)
          FROM chat_read.membership_windows w WHERE w.room_id = p.room_id AND w.user_id = p.user_id) AS windows,
       ${UNREAD_COUNT_SQL} AS unread, mates.roommates, mates.invisible_roommates
     FROM chat_read.participants p JOIN chat_read.rooms r ON r.id = p.room_id
     -- the other current participants, read once: all of them in join order, and the invisible ones
     CROSS JOIN LATERAL (
       SELECT coalesce(array_agg(o.user_id ORDER BY o.joined_seq, o.user_id), '{}') AS roommates,
         coalesce(array_agg(o.user_id) FILTER (WHERE s.invisible), '{}') AS invisible_roommates
       FROM chat_read.participants o LEFT JOIN presence_settings s ON s.user_id = o.user_id
       WHERE o.room_id = p.room_id AND o.left_at IS NULL AND o.user_id <> p.user_id) mates
     WHERE p.room_id = $1 AND p.user_id = $2 AND p.left_at IS NULL`,
    [roomId, userId],
  );
  const row = rows[0];
  // a participant always has a window (src/projections/chat: the join opens it); without one, no access
  if (!row?.windows) return null;
  return {
    access: {
      history: row.joined ? 'joined' : 'shared',
      windows: row.windows.map(([fromSeq, toSeq]) => ({ fromSeq, toSeq })),
    },
    unreadCount: row.unread,
    roommates: row.roommates,
    invisibleRoommates: row.invisible_roommates,
  };
}
