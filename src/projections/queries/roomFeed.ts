// The per-room change feed: every frame a room's participants saw, by seq. Realtime resumes a client
// from here (seq > last_seq) and then goes live; it checks membership itself (getMembership).
import type { FeedEntry } from '../changeFeed.ts';
import type { MessageRow, RoomFeedRow } from '../chat/rows.ts';
import type { Db } from '../chat/schema.ts';
import { messageJson } from '../chat/serializers.ts';

type FeedSelectRow = RoomFeedRow & { m: MessageRow | null; sender_username: string | null };

/**
 * Feed entries of a room with seq > afterSeq, oldest first, at most `limit`. A message in a frame is the
 * message as it is now (so a deleted or hidden one has no text, an edited one its latest); everything
 * else is the frame as it was published.
 */
export async function readRoomFeed(
  db: Db,
  roomId: string,
  afterSeq: number,
  limit: number,
): Promise<FeedEntry[]> {
  const { rows } = await db.query<FeedSelectRow>(
    `SELECT f.room_id, f.seq, f.position, f.frame, f.message_id, to_json(m) AS m, u.username AS sender_username
     FROM chat_read.room_feed f
     LEFT JOIN chat_read.messages m ON m.id = f.message_id
     LEFT JOIN chat_read.users u ON u.id = m.sender_id
     WHERE f.room_id = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3`,
    [roomId, afterSeq, limit],
  );
  return rows.map((row) => ({
    roomId: row.room_id,
    seq: row.seq,
    position: row.position,
    frame: withMessage(row),
  }));
}

function withMessage(row: FeedSelectRow): FeedEntry['frame'] {
  const frame = row.frame as FeedEntry['frame'];
  if (!row.m) return frame;
  const message = messageJson(row.m, row.sender_username);
  const room = frame.room as Record<string, unknown> | undefined;
  return room ? { ...frame, room: { ...room, last_message: message } } : { ...frame, message };
}

/** The room's newest seq (0 for a room without changes or unknown): where a fresh client starts. */
export async function roomFeedHead(db: Db, roomId: string): Promise<number> {
  const { rows } = await db.query<{ last_seq: number }>(
    'SELECT last_seq FROM chat_read.rooms WHERE id = $1',
    [roomId],
  );
  return rows[0]?.last_seq ?? 0;
}
