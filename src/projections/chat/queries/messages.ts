// Message queries. Every one takes the caller's user id and answers only what the room's history
// visibility lets them read (historyVisibility.ts): nothing for anyone but a current participant (a user
// who left or was removed reads nothing more), and in a `joined` room only what was sent during their
// membership windows. Anything else is null, as if it did not exist.

import type { MessageJson, UserJson } from '../../../contract/resources.ts';
import type { Db } from '../../projection.ts';
import type { MessageRow } from '../rows.ts';
import { isoTime, messageJson } from '../serializers.ts';
import { seesSeq, visibleRanges } from './historyVisibility.ts';

/** a message row with its sender's username, as the message queries select it */
export const MESSAGE_COLUMNS = 'to_json(m) AS m, u.username AS sender_username';
export type MessageSelectRow = { m: MessageRow; sender_username: string | null };
export const toMessageJson = (row: MessageSelectRow) => messageJson(row.m, row.sender_username);

/** the caller ($2) may read message `m` */
const CALLER_SEES_MESSAGE = seesSeq('m.room_id', '$2', 'm.seq');

export type ListMessagesOptions = {
  /** messages with seq below this (older page) */
  before?: number;
  /** messages with seq above this (newer page) */
  after?: number;
  limit: number;
};

/**
 * A page of a room's messages in seq order (oldest first). Without a cursor: the newest `limit`.
 * Only messages the user may read (in a `joined` room: sent during their membership windows); the
 * cursors are seqs, so the pages skip what lies outside. Deleted and hidden messages stay in the page as
 * tombstones (content ''). Null when the user is not a participant of the room.
 */
export async function listMessages(
  db: Db,
  roomId: string,
  userId: string,
  options: ListMessagesOptions,
): Promise<MessageJson[] | null> {
  const forwards = options.after !== undefined && options.before === undefined;
  const order = forwards ? 'ASC' : 'DESC';
  const params: unknown[] = [roomId, userId, options.limit];
  const bounds: string[] = [];
  if (options.before !== undefined) bounds.push(`AND m.seq < $${params.push(options.before)}`);
  if (options.after !== undefined) bounds.push(`AND m.seq > $${params.push(options.after)}`);
  const [member, page] = await Promise.all([
    db.query('SELECT 1 FROM chat_read.participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL', [
      roomId,
      userId,
    ]),
    // a page per visible range, each an index range scan that stops at `limit`, then the page of pages
    db.query<MessageSelectRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM (${visibleRanges('$1', '$2')}) hv
       CROSS JOIN LATERAL (SELECT * FROM chat_read.messages m
         WHERE m.room_id = $1 AND m.seq BETWEEN hv.from_seq AND hv.to_seq ${bounds.join(' ')}
         ORDER BY m.seq ${order} LIMIT $3) m
       LEFT JOIN chat_read.users u ON u.id = m.sender_id
       ORDER BY m.seq ${order} LIMIT $3`,
      params,
    ),
  ]);
  if (member.rowCount === 0) return null;
  const messages = page.rows.map(toMessageJson);
  return forwards ? messages : messages.reverse();
}

export async function getMessageForUser(
  db: Db,
  messageId: string,
  userId: string,
): Promise<MessageJson | null> {
  const { rows } = await db.query<MessageSelectRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM chat_read.messages m LEFT JOIN chat_read.users u ON u.id = m.sender_id
     WHERE m.id = $1 AND ${CALLER_SEES_MESSAGE}`,
    [messageId, userId],
  );
  return rows[0] ? toMessageJson(rows[0]) : null;
}

/**
 * True when the message is in the read models and `userId` may not read it (a write about it is then
 * refused as if it did not exist). False for a message not projected yet: its command decides alone.
 */
export async function isMessageHiddenFrom(db: Db, messageId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query<{ hidden: boolean }>(
    `SELECT NOT ${CALLER_SEES_MESSAGE} AS hidden FROM chat_read.messages m WHERE m.id = $1`,
    [messageId, userId],
  );
  return rows[0]?.hidden ?? false;
}

export type MessageEditJson = { edit_no: number; content: string; edited_by: string; edited_at: string };

/**
 * The earlier versions of a message, oldest first (the current content is the message itself). Empty
 * for a deleted or hidden message: its history is gone with its text. Null for a non-participant.
 */
export async function getMessageEditHistory(
  db: Db,
  messageId: string,
  userId: string,
): Promise<MessageEditJson[] | null> {
  const { rows } = await db.query<{ visible: boolean; edits: MessageEditJson[] }>(
    `SELECT true AS visible, coalesce((SELECT json_agg(json_build_object('edit_no', e.edit_no, 'content', e.content,
         'edited_by', e.edited_by, 'edited_at', e.edited_at) ORDER BY e.edit_no)
       FROM chat_read.message_edits e WHERE e.message_id = m.id), '[]') AS edits
     FROM chat_read.messages m WHERE m.id = $1 AND ${CALLER_SEES_MESSAGE}`,
    [messageId, userId],
  );
  return rows[0] ? rows[0].edits.map((edit) => ({ ...edit, edited_at: isoTime(edit.edited_at) })) : null;
}

export type MessageReaderJson = { user: UserJson; last_read_seq: number; read_at: string | null };

/**
 * Who has read a message: participants (not its sender) whose read marker is at or past it and who may
 * read the message themselves: current participants, and in a `joined` room only those who were members
 * when it was sent. Derived from the markers, nothing stored per message. Null when the caller may not
 * read the message.
 */
export async function messageReaders(
  db: Db,
  messageId: string,
  userId: string,
): Promise<MessageReaderJson[] | null> {
  const { rows } = await db.query<{
    user_id: string | null;
    username: string | null;
    last_read_seq: number;
    last_read_at: string | null;
  }>(
    `SELECT r.user_id, u.username, r.last_read_seq, r.last_read_at
     FROM chat_read.messages m
     LEFT JOIN chat_read.participants r ON r.room_id = m.room_id
       AND r.user_id <> m.sender_id AND r.last_read_seq >= m.seq AND ${seesSeq('m.room_id', 'r.user_id', 'm.seq')}
     LEFT JOIN chat_read.users u ON u.id = r.user_id
     WHERE m.id = $1 AND ${CALLER_SEES_MESSAGE}
     ORDER BY r.last_read_at NULLS LAST, r.user_id`,
    [messageId, userId],
  );
  if (rows.length === 0) return null;
  return rows
    .filter((row) => row.user_id !== null)
    .map((row) => ({
      user: { id: row.user_id!, username: row.username },
      last_read_seq: row.last_read_seq,
      read_at: isoTime(row.last_read_at),
    }));
}

/** The revision of the message's stream as projected (its ETag); only for a message the caller may read. */
export async function messageRevision(db: Db, messageId: string): Promise<number | null> {
  const { rows } = await db.query<{ revision: number }>(
    'SELECT revision FROM chat_read.messages WHERE id = $1',
    [messageId],
  );
  return rows[0]?.revision ?? null;
}
