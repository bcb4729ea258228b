// What a SubjectErased does to the chat read model (docs/privacy.md): the rows projected before it hold
// the person's text decrypted, so it blanks them in place: their messages' content and attachment file
// names (the rows stay, is_erased), their edit history, their display name, and the name in the stored
// participant frames of the feed. Only rooms they were ever in are read (participants keep left members),
// through the (room_id, seq) index; what they send after the erasure (with new keys) is left alone.
import type pg from 'pg';
import type { SubjectErased } from '../../domain/events.ts';

const ERASE_MESSAGES = (s: string) => `
UPDATE ${s}.messages SET content = '', is_erased = true,
  attachment = CASE WHEN attachment IS NULL THEN NULL ELSE jsonb_set(attachment, '{file_name}', '""') END
WHERE room_id IN (SELECT room_id FROM ${s}.participants WHERE user_id = $1)
  AND sender_id = $1 AND created_at <= $2`;

const ERASE_EDITS = (s: string) => `
UPDATE ${s}.message_edits e SET content = ''
FROM ${s}.messages m
WHERE e.message_id = m.id AND m.is_erased AND m.sender_id = $1
  AND m.room_id IN (SELECT room_id FROM ${s}.participants WHERE user_id = $1)`;

const ERASE_USER = (s: string) => `UPDATE ${s}.users SET username = NULL WHERE id = $1`;

const ERASE_FEED_NAMES = (s: string) => `
UPDATE ${s}.room_feed SET frame = jsonb_set(frame::jsonb, '{participant,user,username}', 'null')::json
WHERE room_id IN (SELECT room_id FROM ${s}.participants WHERE user_id = $1)
  AND frame::jsonb #>> '{participant,user,id}' = $1`;

export async function eraseSubjectRows(
  client: pg.ClientBase,
  schema: string,
  event: { data: SubjectErased['data']; metadata: { occurredAt: string } },
): Promise<void> {
  const { subjectId } = event.data;
  await client.query(ERASE_MESSAGES(schema), [subjectId, event.metadata.occurredAt]);
  await client.query(ERASE_EDITS(schema), [subjectId]);
  await client.query(ERASE_USER(schema), [subjectId]);
  await client.query(ERASE_FEED_NAMES(schema), [subjectId]);
}
