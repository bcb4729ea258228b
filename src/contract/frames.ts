// The WebSocket wire contract: every frame a client may send, every frame the server sends, and the close
// codes (closeCodes.ts). The realtime layer parses client frames with these schemas; the projector builds feed frames of
// these types and realtime sends the others; the tests check every frame they receive against them; the
// AsyncAPI document is generated from them. docs/realtime.md describes them for client developers.
import { z } from 'zod';
import { BodyText, NameText, SafeText } from '../domain/text.ts';
import {
  MessageJsonSchema,
  ParticipantJsonSchema,
  Position,
  PresenceJsonSchema,
  ReactionJsonSchema,
  RoomJsonSchema,
  Uuid,
} from './resources.ts';

// ── client → server ─────────────────────────────────────────────────────────────────────────────────

const uuid = z.uuid();
const roomId = uuid.optional();

/** idempotency key: a retry with the same client_id never creates a second message */
export const ClientId = NameText.min(1).max(100);
const ChatMessageFrame = z.object({
  type: z.literal('chat_message'),
  room_id: roomId,
  message: BodyText,
  reply_to: uuid.nullish(),
  client_id: ClientId.nullish(),
});
const TypingFrame = z.object({ type: z.literal('typing'), room_id: roomId, is_typing: z.boolean() });
const ReadReceiptFrame = z.object({ type: z.literal('read_receipt'), room_id: roomId, message_id: uuid });
const MarkRoomReadFrame = z.object({ type: z.literal('mark_room_read'), room_id: roomId });
const SubscribeFrame = z.object({
  type: z.literal('subscribe'),
  room_id: uuid,
  last_seq: z.number().int().min(0).optional(),
});
const UnsubscribeFrame = z.object({ type: z.literal('unsubscribe'), room_id: uuid });
/** application-level keepalive for clients that cannot send WebSocket pings (browsers) */
const PingFrame = z.object({ type: z.literal('ping') });
/** this device is away (in the background, idle) or back; the user's invisible setting (kept) */
const SetPresenceFrame = z.object({
  type: z.literal('set_presence'),
  away: z.boolean().optional(),
  invisible: z.boolean().optional(),
});
/** for clients that cannot put the token in the URL or subprotocol: must be the first frame */
const AuthenticateFrame = z.object({ type: z.literal('authenticate'), token: SafeText.min(1).max(8192) });

/** Every frame a client may send, by type (test/api/fuzz.api.test.ts fuzzes each from these schemas). */
export const CLIENT_FRAMES = {
  chat_message: ChatMessageFrame,
  typing: TypingFrame,
  read_receipt: ReadReceiptFrame,
  mark_room_read: MarkRoomReadFrame,
  subscribe: SubscribeFrame,
  unsubscribe: UnsubscribeFrame,
  ping: PingFrame,
  set_presence: SetPresenceFrame,
  authenticate: AuthenticateFrame,
} as const;

export type ClientFrameType = keyof typeof CLIENT_FRAMES;
export type ClientFrame = { [K in ClientFrameType]: z.infer<(typeof CLIENT_FRAMES)[K]> }[ClientFrameType];

// ── server → client ─────────────────────────────────────────────────────────────────────────────────

/** Where a feed frame stands in its room's feed: every frame with a `seq` carries these. */
const feedHead = { room_id: Uuid, seq: z.number().int().min(1), position: Position };

const feedFrame = <Type extends string, Shape extends z.ZodRawShape>(type: Type, shape: Shape) =>
  z.strictObject({ type: z.literal(type), ...feedHead, ...shape });

const messageFrame = <Type extends string>(type: Type) =>
  feedFrame(type, { message: MessageJsonSchema.extend({ seq: z.number().int() }) });
const reactionFrame = <Type extends string>(type: Type) =>
  feedFrame(type, {
    message_id: Uuid,
    user_id: z.string(),
    emoji: z.string(),
    reactions: z.array(ReactionJsonSchema),
  });
const participantFrame = <Type extends string>(type: Type) =>
  feedFrame(type, { participant: ParticipantJsonSchema });
const roomFrame = <Type extends string>(type: Type) => feedFrame(type, { room: RoomJsonSchema });

export const FeedFrameSchemas = {
  chat_message: messageFrame('chat_message'),
  message_edited: messageFrame('message_edited'),
  message_deleted: messageFrame('message_deleted'),
  message_hidden: messageFrame('message_hidden'),
  message_restored: messageFrame('message_restored'),
  reaction_added: reactionFrame('reaction_added'),
  reaction_removed: reactionFrame('reaction_removed'),
  read_receipt: feedFrame('read_receipt', {
    message_id: Uuid,
    user_id: z.string(),
    read_at: z.string(),
    last_read_seq: z.number().int(),
  }),
  participant_joined: participantFrame('participant_joined'),
  participant_left: participantFrame('participant_left'),
  participant_removed: participantFrame('participant_removed'),
  participant_updated: participantFrame('participant_updated'),
  room_created: roomFrame('room_created'),
  room_updated: roomFrame('room_updated'),
  room_archived: roomFrame('room_archived'),
  room_unarchived: roomFrame('room_unarchived'),
} as const;

/** The frames of a room's feed: numbered per room (`seq`), kept, replayed on resume. */
export type FeedFrame = {
  [K in keyof typeof FeedFrameSchemas]: z.infer<(typeof FeedFrameSchemas)[K]>;
}[keyof typeof FeedFrameSchemas];
export type FeedFrameType = FeedFrame['type'];
/** a feed frame of one type */
export type FeedFrameOf<Type extends FeedFrameType> = Extract<FeedFrame, { type: Type }>;

const TypistSchema = z.object({ user_id: z.string(), username: z.string().nullable() });
const ResumeSchema = {
  from_seq: z.number().int(),
  to_seq: z.number().int(),
  recovered: z.boolean(),
  reason: z.enum(['unknown_seq', 'too_far_behind']).optional().describe('why not, when recovered is false'),
};

/** Frames about one user's room list on their user socket: not part of any feed (no seq, not kept). */
export const NoticeFrameSchemas = {
  room_added: z.strictObject({ type: z.literal('room_added'), room_id: Uuid, room: RoomJsonSchema }),
  room_removed: z.strictObject({
    type: z.literal('room_removed'),
    room_id: Uuid,
    reason: z.enum(['removed', 'left']),
  }),
} as const;
export type NoticeFrame = z.infer<(typeof NoticeFrameSchemas)[keyof typeof NoticeFrameSchemas]>;

/** Frames a socket gets that are about it alone (the greeting, acks, errors), or ephemeral (typing). */
export const SessionFrameSchemas = {
  connection_established: z.union([
    z.strictObject({
      type: z.literal('connection_established'),
      room_id: Uuid,
      unread_count: z.number().int(),
      user_id: z.string(),
      username: z.string().nullable(),
      typing: z.array(TypistSchema).describe('who is typing in the room now'),
      presence: z.array(PresenceJsonSchema).describe('the presence of the room’s other participants now'),
    }),
    z.strictObject({
      type: z.literal('connection_established'),
      room_id: z.null().describe('null on the user socket'),
      user_id: z.string(),
      username: z.string().nullable(),
    }),
  ]),
  message_ack: z.strictObject({
    type: z.literal('message_ack'),
    room_id: Uuid,
    client_id: z.string().nullable(),
    message_id: Uuid,
    position: Position.describe('where the message was stored: durable'),
    created: z.boolean().describe('false when this client_id was sent before (the original answers)'),
  }),
  typing: z.strictObject({
    type: z.literal('typing'),
    room_id: Uuid,
    user_id: z.string(),
    username: z.string().nullable(),
    is_typing: z.boolean(),
  }),
  unread_count: z.strictObject({
    type: z.literal('unread_count'),
    room_id: Uuid,
    unread_count: z.number().int(),
  }),
  resumed: z.strictObject({ type: z.literal('resumed'), room_id: Uuid, ...ResumeSchema }),
  subscribed: z.strictObject({
    type: z.literal('subscribed'),
    room_id: Uuid,
    last_seq: z.number().int().describe('where live delivery starts'),
    ...z.object(ResumeSchema).partial().shape,
  }),
  unsubscribed: z.strictObject({
    type: z.literal('unsubscribed'),
    room_id: Uuid,
    reason: z.enum(['requested', 'no_longer_participant']),
  }),
  presence: z.strictObject({ type: z.literal('presence'), ...PresenceJsonSchema.shape }),
  pong: z.strictObject({ type: z.literal('pong') }),
  error: z.strictObject({
    type: z.literal('error'),
    code: z.string().describe('stable, machine-readable (docs/realtime.md, "Error codes")'),
    message: z.string(),
    field: z.string().optional(),
    room_id: z.string().optional(),
    client_id: z.string().nullable().optional(),
    retry_after_ms: z.number().int().optional(),
    rule: z
      .object({ id: z.string(), name: z.string() })
      .optional()
      .describe('message_bounced: the moderation rule that refused the text'),
  }),
} as const;
export type SessionFrame = z.infer<(typeof SessionFrameSchemas)[keyof typeof SessionFrameSchemas]>;
export type SessionFrameOf<Type extends SessionFrame['type']> = Extract<SessionFrame, { type: Type }>;

export type ServerFrame = FeedFrame | NoticeFrame | SessionFrame;
export type ServerFrameType = ServerFrame['type'];

/** Every server frame by its type (connection_established has two shapes: room and user socket). */
export const SERVER_FRAME_SCHEMAS = { ...FeedFrameSchemas, ...NoticeFrameSchemas, ...SessionFrameSchemas };

/** Checks one received frame against the contract (tests, and the AsyncAPI conformance check). */
export function parseServerFrame(value: unknown): ServerFrame {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(SERVER_FRAME_SCHEMAS, type)) {
    throw new Error(`not a server frame type: ${JSON.stringify(type)}`);
  }
  return SERVER_FRAME_SCHEMAS[type as ServerFrameType].parse(value) as ServerFrame;
}
