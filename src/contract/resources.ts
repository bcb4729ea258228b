// The JSON shapes clients see, as REST answers and inside WebSocket frames (the seed's serializers,
// snake_case). One source: the projections build these (chat/serializers.ts, typed by them), the REST
// routes and the OpenAPI document validate with them, the socket frames (frames.ts) embed them, and the
// client library reads them. Nothing here imports the server: it is the wire, not the implementation.
import { z } from 'zod';

export const Uuid = z.uuid().describe('uuid');

/**
 * As encodePosition writes it: fixed width, so that positions compare as text. A shorter form would sort
 * after every real one, and a read waiting for it would wait its whole timeout.
 */
export const Position = z
  .string()
  .regex(/^(0|\d{20}-\d{20})$/, 'must be a position returned by a write')
  .describe('event store position; opaque, but sorts as text');

export const RoomType = z.enum(['direct', 'group', 'task', 'property']);
export const HistoryVisibility = z.enum(['shared', 'joined']);

export const UserJsonSchema = z
  .object({ id: z.string(), username: z.string().nullable() })
  .meta({ id: 'User' });

export const AttachmentJsonSchema = z
  .object({ id: Uuid, file_name: z.string(), content_type: z.string(), size: z.number().int() })
  .meta({ id: 'Attachment' });

export const ReactionJsonSchema = z.object({
  emoji: z.string(),
  count: z.number().int(),
  user_ids: z.array(z.string()),
});

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
    reactions: z.array(ReactionJsonSchema),
    is_edited: z.boolean(),
    is_deleted: z.boolean(),
    is_hidden: z.boolean(),
    is_erased: z
      .boolean()
      .describe('its sender’s personal data was erased: content and attachment file name are empty'),
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

/** A user's presence as people who share a room with them see it. */
export const PresenceJsonSchema = z
  .object({
    user_id: z.string(),
    status: z.enum(['online', 'away', 'offline']).describe('invisible users show as offline'),
    last_seen: z
      .string()
      .nullable()
      .describe(
        'when they went offline (to within a heartbeat); null while connected, or never seen, or invisible',
      ),
  })
  .meta({ id: 'Presence' });
export type PresenceJson = z.infer<typeof PresenceJsonSchema>;

export const RoomSettingsJsonSchema = z
  .object({
    slow_mode_seconds: z.number().int().optional(),
    history_visibility: HistoryVisibility.optional().describe(
      'who reads the history (absent in direct rooms): `shared`, every current member all of it; `joined`, each member only what was sent while they were in the room',
    ),
  })
  .meta({ id: 'RoomSettings' });

/** A room as every member sees it (in frames); REST adds the caller's own `unread_count`. */
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
    settings: RoomSettingsJsonSchema,
    last_seq: z.number().int().describe('the room’s newest feed seq: resume the WebSocket from here'),
  })
  .meta({ id: 'RoomInFrame' });

export const RoomWithUnreadJsonSchema = RoomJsonSchema.extend({ unread_count: z.number().int() }).meta({
  id: 'Room',
});

export type UserJson = z.infer<typeof UserJsonSchema>;
export type AttachmentJson = z.infer<typeof AttachmentJsonSchema>;
export type ReactionJson = z.infer<typeof ReactionJsonSchema>;
/** a message as the projections build it: numbered */
export type MessageJson = z.infer<typeof MessageJsonSchema> & { seq: number };
export type ParticipantJson = z.infer<typeof ParticipantJsonSchema>;
export type RoomSettingsJson = z.infer<typeof RoomSettingsJsonSchema>;
export type RoomJson = Omit<z.infer<typeof RoomJsonSchema>, 'last_message'> & {
  last_message: MessageJson | null;
};
export type RoomWithUnreadJson = RoomJson & { unread_count: number };
