// The per-room change feed: every frame a room's participants saw, by seq. Realtime resumes a client
// from here (seq > last_seq, only what the room's history visibility lets them read) and fills gaps in
// what Redis delivered (the whole feed: each socket then checks the frames about a message itself).

import type { FeedFrame } from '../../../contract/frames.ts';
import type { RoomJson } from '../../../contract/resources.ts';
import type { FeedEntry } from '../../changeFeed.ts';
import type { Db } from '../../projection.ts';
import type { MessageRow, RoomFeedRow } from '../rows.ts';
import { messageJson } from '../serializers.ts';
import { JOINED_HISTORY_SQL, visibleRanges } from './historyVisibility.ts';

type FeedSelectRow = RoomFeedRow & { joined: boolean; m: MessageRow | null; sender_username: string | null };

const FEED_COLUMNS = `f.room_id, f.seq, f.position, f.frame, f.message_id, f.message_seq, f.subject, f.revokes,
  ${JOINED_HISTORY_SQL('r')} AS joined, to_json(m) AS m, u.username AS sender_username`;
const FEED_JOINS = `JOIN chat_read.rooms r ON r.id = f.room_id
  LEFT JOIN chat_read.messages m ON m.id = f.message_id
  LEFT JOIN chat_read.users u ON u.id = m.sender_id`;

/**
 * Feed entries of a room with seq > afterSeq, oldest first, at most `limit`, as they were published
 * live under the room's history visibility as it is now. A message in a frame is the message as it is
 * now (so a deleted or hidden one has no text, an edited one its latest); everything else is the frame as
 * it was published.
 */
export async function readRoomFeed(
  db: Db,
  roomId: string,
  afterSeq: number,
  limit: number,
): Promise<FeedEntry[]> {
  const { rows } = await db.query<FeedSelectRow>(
    `SELECT ${FEED_COLUMNS} FROM chat_read.room_feed f ${FEED_JOINS}
     WHERE f.room_id = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3`,
    [roomId, afterSeq, limit],
  );
  return rows.map(toFeedEntry);
}

/**
 * The feed entries after `afterSeq` that `userId` may read, oldest first, at most `limit`: none for
 * anyone but a current participant; in a `joined` room only frames within their membership windows, and
 * of those only the ones whose message (`message_seq`) was sent within one too. `toSeq` is how far the
 * feed was read: the last entry's seq when there are `limit` of them, otherwise the end of the feed (what
 * lies between was not theirs to read), so that live delivery goes on from there. `headSeq` is the
 * room's newest seq as of the same read (one statement, one snapshot: every entry up to it is in the
 * feed the read saw), so a resume costs one round trip.
 */
export async function readRoomFeedFor(
  db: Db,
  roomId: string,
  userId: string,
  afterSeq: number,
  limit: number,
): Promise<{ entries: FeedEntry[]; toSeq: number; headSeq: number }> {
  const { rows } = await db.query<{ head_seq: number } & (FeedSelectRow | NoFeedRow)>(
    `WITH hv AS (${visibleRanges('$1', '$2')})
     SELECT head.head_seq, e.* FROM
       (SELECT coalesce((SELECT last_seq FROM chat_read.rooms WHERE id = $1), 0) AS head_seq) head
     LEFT JOIN LATERAL (SELECT ${FEED_COLUMNS} FROM hv
       CROSS JOIN LATERAL (SELECT * FROM chat_read.room_feed f
         WHERE f.room_id = $1 AND f.seq > $3 AND f.seq BETWEEN hv.from_seq AND hv.to_seq
           AND (f.message_seq IS NULL
             OR EXISTS (SELECT 1 FROM hv seen WHERE f.message_seq BETWEEN seen.from_seq AND seen.to_seq))
         ORDER BY f.seq LIMIT $4) f
       ${FEED_JOINS}
       ORDER BY f.seq LIMIT $4) e ON true
     ORDER BY e.seq`,
    [roomId, userId, afterSeq, limit],
  );
  const headSeq = rows[0]?.head_seq ?? 0;
  const entries = rows.flatMap((row) => (row.seq === null ? [] : [toFeedEntry(row)]));
  const last = entries.at(-1)?.seq ?? afterSeq;
  return { entries, toSeq: entries.length === limit ? last : Math.max(headSeq, last), headSeq };
}

/** the one row of a feed read that found no entries: only the head */
type NoFeedRow = { [column in keyof FeedSelectRow]: null };

function toFeedEntry(row: FeedSelectRow): FeedEntry {
  const entry: FeedEntry = {
    roomId: row.room_id,
    seq: row.seq,
    position: row.position,
    frame: withMessage(row),
    subject: row.subject,
    revokes: row.revokes,
  };
  if (row.joined && row.message_seq !== null) entry.messageSeq = row.message_seq;
  return entry;
}

/**
 * A frame that carries a message gets it back as it is now; a frame that carries the room gets its last
 * message back unless the room's history is `joined` (then no member is shown it: some may not read it).
 */
function withMessage(row: FeedSelectRow): FeedFrame {
  const stored = row.frame as Record<string, unknown>;
  if (!row.m) return stored as FeedFrame;
  const message = messageJson(row.m, row.sender_username);
  const room = stored.room as RoomJson | undefined;
  if (room)
    return (row.joined ? stored : { ...stored, room: { ...room, last_message: message } }) as FeedFrame;
  return { ...stored, message } as FeedFrame;
}

/** The room's newest seq (0 for a room without changes or unknown): where a fresh client starts. */
export async function roomFeedHead(db: Db, roomId: string): Promise<number> {
  const { rows } = await db.query<{ last_seq: number }>(
    'SELECT last_seq FROM chat_read.rooms WHERE id = $1',
    [roomId],
  );
  return rows[0]?.last_seq ?? 0;
}
