// The WebSocket wire protocol: what a client may send, the error codes and close codes the server answers
// with. docs/realtime.md is the reference for clients; keep the two in step.
import { z } from 'zod';
import { BodyText, INVALID_TEXT, NameText, SafeText } from '../domain/text.ts';

/** Close codes. 1xxx are the standard ones ws uses itself; 4xxx are ours and mean "do not just retry". */
export const CLOSE = {
  /** server shutting down or the fan-out (Redis) was interrupted: reconnect with last_seq and resume */
  serviceRestart: 1012,
  /** a malformed connection request (e.g. last_seq that is not a number) */
  policyViolation: 1008,
  /** a frame larger than the limit (sent by ws itself) */
  frameTooLarge: 1009,
  internalError: 1011,
  /** no token, or a token that does not verify: get a new token before reconnecting */
  authFailed: 4001,
  /** no token arrived within the authentication deadline */
  authTimeout: 4002,
  /** not a participant of the room (or no such room), or removed from it / left it while connected */
  forbidden: 4003,
  /** the token expired while the socket was open: reconnect with a fresh token */
  tokenExpired: 4008,
  /** the client did not read fast enough; its send buffer passed the limit */
  slowConsumer: 4009,
  /** too many sockets open for this user */
  tooManySockets: 4029,
} as const;

/** Codes of `{type:'error'}` frames that are not domain errors (those keep the command layer's code). */
export type ProtocolErrorCode =
  | 'invalid_json'
  | 'unknown_type'
  | 'invalid_frame'
  | 'invalid_text'
  | 'rate_limited'
  | 'unavailable'
  | 'not_subscribed'
  | 'not_a_participant'
  | 'already_authenticated'
  | 'internal_error';

const uuid = z.uuid();
const roomId = uuid.optional();

/** idempotency key: a retry with the same client_id never creates a second message */
const ClientId = NameText.min(1).max(100);
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
  authenticate: AuthenticateFrame,
} as const;

export type ClientFrameType = keyof typeof CLIENT_FRAMES;
export type ClientFrame = { [K in ClientFrameType]: z.infer<(typeof CLIENT_FRAMES)[K]> }[ClientFrameType];

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | {
      ok: false;
      code: ProtocolErrorCode;
      message: string;
      field?: string;
      /** a refused chat_message's own valid client_id, so the client knows which send to drop */
      clientId?: string;
    };

/** Parses one text frame. Unknown fields are ignored (clients may be newer than the server). */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'The frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      code: 'invalid_frame',
      message: 'A frame is a JSON object with a "type"',
      field: 'type',
    };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(CLIENT_FRAMES, type)) {
    return {
      ok: false,
      code: 'unknown_type',
      message: `Unknown frame type ${JSON.stringify(type)}; expected one of ${Object.keys(CLIENT_FRAMES).join(', ')}`,
    };
  }
  const parsed = CLIENT_FRAMES[type as ClientFrameType].safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data as ClientFrame };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  // text no field may hold has a code of its own, as on REST (src/domain/text.ts)
  const code =
    issue.code === 'custom' && issue.params?.code === INVALID_TEXT ? 'invalid_text' : 'invalid_frame';
  const clientId =
    type === 'chat_message' ? ClientId.safeParse((value as { client_id?: unknown }).client_id) : null;
  return {
    ok: false,
    code,
    message: `${field || 'frame'}: ${issue.message}`,
    field,
    ...(clientId?.success ? { clientId: clientId.data } : {}),
  };
}

export function errorFrame(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { type: 'error', code, message, ...extra };
}
