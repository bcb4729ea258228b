// Reading what a client sends (the frames themselves: src/contract/frames.ts) and the error codes the
// server answers with. docs/realtime.md is the reference for clients; keep the two in step.
import {
  CLIENT_FRAMES,
  type ClientFrame,
  type ClientFrameType,
  ClientId,
  type SessionFrameOf,
} from '../contract/frames.ts';
import { INVALID_TEXT } from '../domain/text.ts';

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

type ErrorFrame = SessionFrameOf<'error'>;
/** what an error frame may say besides its code and message: the field, room or send it is about */
export type ErrorFrameDetails = Omit<ErrorFrame, 'type' | 'code' | 'message'>;

export function errorFrame(code: string, message: string, details: ErrorFrameDetails = {}): ErrorFrame {
  return { type: 'error', code, message, ...details };
}
