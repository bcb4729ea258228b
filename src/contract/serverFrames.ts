// Every frame the server sends over a WebSocket, as one zod union: the projector builds feed frames of
// these types, realtime sends the others, the tests check what they receive against them, and the
// AsyncAPI document is generated from them. docs/realtime.md describes them for client developers.
import { z } from 'zod';
import {
  MessageJsonSchema,
  ParticipantJsonSchema,
  Position,
  ReactionJsonSchema,
  RoomJsonSchema,
  Uuid,
} from './resources.ts';

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
  pong: z.strictObject({ type: z.literal('pong') }),
  error: z.strictObject({
    type: z.literal('error'),
    code: z.string().describe('stable, machine-readable (docs/realtime.md, "Error codes")'),
    message: z.string(),
    field: z.string().optional(),
    room_id: z.string().optional(),
    client_id: z.string().nullable().optional(),
    retry_after_ms: z.number().int().optional(),
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
