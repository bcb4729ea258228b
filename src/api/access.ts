// Authorization against the read models: is this user a current participant of that room? Every route
// that takes a room-scoped id checks it, and a "no" is always the same 404 as a missing resource.
import type pg from 'pg';
import { notFound } from './problems.ts';

const IS_PARTICIPANT_SQL = `
  SELECT 1 FROM chat_read.participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL`;

export async function requireRoomParticipant(
  db: pg.Pool,
  roomId: string,
  userId: string,
  what = 'Room',
): Promise<void> {
  const { rowCount } = await db.query(IS_PARTICIPANT_SQL, [roomId, userId]);
  if (!rowCount) throw notFound(what);
}
