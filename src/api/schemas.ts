// Zod schemas shared by the routes: ids, the seed's JSON shapes (for validation of answers and the
// OpenAPI document), and the write acknowledgement. Field names are the seed's (snake_case).
import { z } from 'zod';
import { USER_ID_PATTERN } from '../auth/tokenVerifier.ts';
import { NameText } from '../domain/text.ts';

export const Uuid = z.uuid().describe('uuid');
/** The seed's clients send Django's integer ids as JSON numbers: accepted, and kept as text like all ids. */
const IntegerId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).transform(String);

export const UserIdSchema = z
  .union([
    z.string().regex(USER_ID_PATTERN, 'must be a uuid or an id of letters, digits, _ and - (at most 64)'),
    IntegerId,
  ])
  .describe(
    'user id: the `sub` (or SimpleJWT `user_id`) of that user’s access token; a number is read as text',
  );

/** An id in another system (a task, a property): text, or a Django integer id. */
export const ExternalIdSchema = z.union([NameText.trim().min(1).max(64), IntegerId]);

export const RoomType = z.enum(['direct', 'group', 'task', 'property']);
export const HistoryVisibility = z.enum(['shared', 'joined']);
/**
 * As encodePosition writes it: fixed width, so that positions compare as text. A shorter form would sort
 * after every real one, and a read waiting for it would wait its whole timeout.
 */
export const Position = z
  .string()
  .regex(/^(0|\d{20}-\d{20})$/, 'must be a position returned by a write')
  .describe('event store position; opaque, but sorts as text');

export const UserJsonSchema = z
  .object({ id: z.string(), username: z.string().nullable() })
  .meta({ id: 'User' });

export const AttachmentJsonSchema = z
  .object({ id: Uuid, file_name: z.string(), content_type: z.string(), size: z.number().int() })
  .meta({ id: 'Attachment' });

export const MessageJsonSchema = z
  .object({
    id: Uuid,
    room: Uuid,
    seq: z
      .number()
      .int()
      .nullable()
      .describe(
        'place in the room’s feed, the pagination cursor; null in the answer to a send (not numbered yet)',
      ),
    sender: UserJsonSchema,
    message_type: z.string(),
    content: z.string().describe('empty once deleted or hidden'),
    reply_to: Uuid.nullable(),
    attachment: AttachmentJsonSchema.nullable(),
    reactions: z.array(
      z.object({ emoji: z.string(), count: z.number().int(), user_ids: z.array(z.string()) }),
    ),
    is_edited: z.boolean(),
    is_deleted: z.boolean(),
    is_hidden: z.boolean(),
    created_at: z.string(),
    edited_at: z.string().nullable(),
  })
  .meta({ id: 'Message' });

export const ParticipantJsonSchema = z
  .object({
    id: Uuid,
    room: Uuid,
    user: UserJsonSchema,
    is_admin: z.boolean(),
    muted: z.boolean(),
    muted_until: z.string().nullable(),
    notifications_muted: z.boolean(),
    joined_at: z.string(),
    left_at: z.string().nullable(),
    last_read_seq: z.number().int(),
  })
  .meta({ id: 'Participant' });

export const RoomJsonSchema = z
  .object({
    id: Uuid,
    name: z.string(),
    room_type: z.string(),
    task: z.string().nullable(),
    property: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    modified_at: z.string(),
    is_active: z.boolean(),
    archived_at: z.string().nullable(),
    participant_count: z.number().int(),
    last_message: MessageJsonSchema.nullable(),
    settings: z
      .object({
        slow_mode_seconds: z.number().int().optional(),
        history_visibility: HistoryVisibility.optional().describe(
          'who reads the history (absent in direct rooms): `shared`, every current member all of it; `joined`, each member only what was sent while they were in the room',
        ),
      })
      .meta({ id: 'RoomSettings' }),
    last_seq: z.number().int().describe('the room’s newest feed seq: resume the WebSocket from here'),
    unread_count: z.number().int(),
  })
  .meta({ id: 'Room' });

/** Every write answers with where its event landed in the global order (read-your-writes). */
export const WriteAck = { position: Position.describe('pass as ?wait_for= to see this write in reads') };

export const WaitForQuery = {
  wait_for: Position.optional().describe(
    'a position from a write: the read waits (up to a few seconds) until the read models include it',
  ),
};

/** Ack for writes that return no resource. */
export const AckSchema = z.object({ ok: z.literal(true), ...WriteAck }).meta({ id: 'Ack' });
