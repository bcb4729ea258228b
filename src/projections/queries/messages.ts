// Message queries. Every one takes the caller's user id: only a current participant of the message's
// room reads it (a user who left or was removed reads nothing more); anyone else gets null.

import type { MessageRow } from '../chat/rows.ts';
import type { Db } from '../chat/schema.ts';
import { isoTime, type MessageJson, messageJson, type UserJson } from '../chat/serializers.ts';

/** a message row with its sender's username, as the message queries select it */
export const MESSAGE_COLUMNS = 'to_json(m) AS m, u.username AS sender_username';
export type MessageSelectRow = { m: MessageRow; sender_username: string | null };
export const toMessageJson = (row: MessageSelectRow) => messageJson(row.m, row.sender_username);

const MEMBER_OF_MESSAGE_ROOM = `EXISTS (SELECT 1 FROM chat_read.participants p
  WHERE p.room_id = m.room_id AND p.user_id = $2 AND p.left_at IS NULL)`;

export type ListMessagesOptions = {
  /** messages with seq below this (older page) */
  before?: number;
  /** messages with seq above this (newer page) */
  after?: number;
  limit: number;
};

/**
 * A page of a room's messages in seq order (oldest first). Without a cursor: the newest `limit`.
 * Deleted and hidden messages stay in the page as tombstones (content ''). Null when the user is not a
 * participant of the room.
 */
export async function listMessages(
  db: Db,
  roomId: string,
  userId: string,
  options: ListMessagesOptions,
): Promise<MessageJson[] | null> {
  const forwards = options.after !== undefined && options.before === undefined;
  const params: unknown[] = [roomId, userId, options.limit];
  const where = ['m.room_id = $1', MEMBER_OF_MESSAGE_ROOM];
  if (options.before !== undefined) where.push(`m.seq < $${params.push(options.before)}`);
  if (options.after !== undefined) where.push(`m.seq > $${params.push(options.after)}`);
  const [member, page] = await Promise.all([
    db.query('SELECT 1 FROM chat_read.participants WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL', [
      roomId,
      userId,
    ]),
    db.query<MessageSelectRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM chat_read.messages m LEFT JOIN chat_read.users u ON u.id = m.sender_id
       WHERE ${where.join(' AND ')} ORDER BY m.seq ${forwards ? 'ASC' : 'DESC'} LIMIT $3`,
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
     WHERE m.id = $1 AND ${MEMBER_OF_MESSAGE_ROOM}`,
    [messageId, userId],
  );
  return rows[0] ? toMessageJson(rows[0]) : null;
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
     FROM chat_read.messages m WHERE m.id = $1 AND ${MEMBER_OF_MESSAGE_ROOM}`,
    [messageId, userId],
  );
  return rows[0] ? rows[0].edits.map((edit) => ({ ...edit, edited_at: isoTime(edit.edited_at) })) : null;
}

export type MessageReaderJson = { user: UserJson; last_read_seq: number; read_at: string | null };

/**
 * Who has read a message: current participants (not its sender) whose read marker is at or past it.
 * Derived from the markers, nothing stored per message. Null for a non-participant.
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
     LEFT JOIN chat_read.participants r ON r.room_id = m.room_id AND r.left_at IS NULL
       AND r.user_id <> m.sender_id AND r.last_read_seq >= m.seq
     LEFT JOIN chat_read.users u ON u.id = r.user_id
     WHERE m.id = $1 AND ${MEMBER_OF_MESSAGE_ROOM}
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
