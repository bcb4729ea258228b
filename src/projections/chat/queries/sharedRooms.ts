// Who shares a room with whom (current participants both): the audience of a user's presence.
import type { Db } from '../../projection.ts';

/**
 * The rooms `userId` is in now, and which of `candidates` (other users; null: anyone) are in one of them
 * too.
 */
export async function roomsAndRoommates(
  db: Db,
  userId: string,
  candidates: readonly string[] | null,
): Promise<{ rooms: Set<string>; roommates: Set<string> }> {
  const { rows } = await db.query<{ rooms: string[]; roommates: string[] }>(
    `WITH mine AS (SELECT room_id FROM chat_read.participants WHERE user_id = $1 AND left_at IS NULL)
     SELECT ARRAY(SELECT room_id FROM mine) AS rooms,
       ARRAY(SELECT DISTINCT p.user_id FROM chat_read.participants p
         WHERE p.room_id IN (SELECT room_id FROM mine) AND p.left_at IS NULL
           AND ($2::text[] IS NULL OR p.user_id = ANY($2::text[])) AND p.user_id <> $1) AS roommates`,
    [userId, candidates],
  );
  return { rooms: new Set(rows[0]?.rooms ?? []), roommates: new Set(rows[0]?.roommates ?? []) };
}

/** True when the two users are in one room now. */
export async function shareARoom(db: Db, userId: string, otherId: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM chat_read.participants a
     JOIN chat_read.participants b ON b.room_id = a.room_id AND b.user_id = $2 AND b.left_at IS NULL
     WHERE a.user_id = $1 AND a.left_at IS NULL LIMIT 1`,
    [userId, otherId],
  );
  return rows.length > 0;
}

/** The current participants of a room but `exceptUserId`. */
export async function roommatesIn(db: Db, roomId: string, exceptUserId: string): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    `SELECT user_id FROM chat_read.participants WHERE room_id = $1 AND left_at IS NULL AND user_id <> $2
     ORDER BY joined_seq, user_id`,
    [roomId, exceptUserId],
  );
  return rows.map((row) => row.user_id);
}
