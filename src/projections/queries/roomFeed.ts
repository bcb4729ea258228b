// The per-room change feed: every frame a room's participants saw, by seq. Realtime resumes a client
// from here (seq > last_seq) and then goes live; it checks membership itself (getMembership).
import type { FeedEntry } from '../changeFeed.ts';
import type { RoomFeedRow } from '../chat/rows.ts';
import type { Db } from '../chat/schema.ts';

/** Feed entries of a room with seq > afterSeq, oldest first, at most `limit`. */
export async function readRoomFeed(
  db: Db,
  roomId: string,
  afterSeq: number,
  limit: number,
): Promise<FeedEntry[]> {
  const { rows } = await db.query<RoomFeedRow>(
    'SELECT room_id, seq, position, frame FROM chat_read.room_feed WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [roomId, afterSeq, limit],
  );
  return rows.map((row) => ({
    roomId: row.room_id,
    seq: row.seq,
    position: row.position,
    frame: row.frame as FeedEntry['frame'],
  }));
}

/** The room's newest seq (0 for a room without changes or unknown): where a fresh client starts. */
export async function roomFeedHead(db: Db, roomId: string): Promise<number> {
  const { rows } = await db.query<{ last_seq: number }>(
    'SELECT last_seq FROM chat_read.rooms WHERE id = $1',
    [roomId],
  );
  return rows[0]?.last_seq ?? 0;
}
