// Who shares a room with whom (current participants both): the audience of a user's presence.
import type { Db } from '../../projection.ts';

/**
 * For each of `userIds`: the rooms they are in now, and which of `candidates` (other users; null: anyone)
 * are in one of them too. One query for the lot (a reconnect storm brings thousands of presence changes).
 */
export async function roomsAndRoommatesOf(
  db: Db,
  userIds: readonly string[],
  candidates: readonly string[] | null,
): Promise<Map<string, { rooms: Set<string>; roommates: Set<string> }>> {
  const found = new Map(
    userIds.map((id) => [id, { rooms: new Set<string>(), roommates: new Set<string>() }]),
  );
  if (userIds.length === 0) return found;
  const { rows } = await db.query<{ user_id: string; room_id: string; roommates: string[] }>(
    `SELECT m.user_id, m.room_id,
       CASE WHEN $2::text[] IS NOT NULL AND cardinality($2::text[]) = 0 THEN '{}'::text[] ELSE ARRAY(
         SELECT p.user_id FROM chat_read.participants p
         WHERE p.room_id = m.room_id AND p.left_at IS NULL AND p.user_id <> m.user_id
           AND ($2::text[] IS NULL OR p.user_id = ANY($2::text[]))) END AS roommates
     FROM chat_read.participants m WHERE m.user_id = ANY($1::text[]) AND m.left_at IS NULL`,
    [userIds, candidates],
  );
  for (const row of rows) {
    const entry = found.get(row.user_id)!;
    entry.rooms.add(row.room_id);
    for (const roommate of row.roommates) entry.roommates.add(roommate);
  }
  return found;
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
