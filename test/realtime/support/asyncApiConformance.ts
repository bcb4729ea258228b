// Every frame the WebSocket tests read is checked against the served AsyncAPI document too, as a client
// generated from it would see it: the frame must be one of the messages its socket's channel sends, and
// match that message's payload schema (Ajv, the document's own $refs). A frame the document leaves out,
// or a generation that drifts from the zod contract, fails the test that reads it.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { buildAsyncApiDocument, SOCKET_FRAMES, type SocketKind } from '../../../src/contract/asyncApi.ts';

const DOCUMENT_ID = 'asyncapi.json';
let validators: Record<SocketKind, ValidateFunction> | undefined;

function compile(): Record<SocketKind, ValidateFunction> {
  // strict off: the document is not a JSON Schema itself, only the schemas inside it are
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats.default(ajv);
  ajv.addSchema(buildAsyncApiDocument(), DOCUMENT_ID);
  const forSocket = (kind: SocketKind) =>
    ajv.compile({
      anyOf: SOCKET_FRAMES[kind].sends.map((id) => ({
        $ref: `${DOCUMENT_ID}#/components/messages/${id}/payload`,
      })),
    });
  return { roomSocket: forSocket('roomSocket'), userSocket: forSocket('userSocket') };
}

/** The socket a URL opens: `/ws/chat/` is the user socket, `/ws/chat/{room_id}/` a room socket. */
export function socketKindOf(url: string): SocketKind {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  return path.endsWith('/ws/chat') ? 'userSocket' : 'roomSocket';
}

/** Why `frame` is not a message of that socket in the AsyncAPI document, or undefined when it is. */
export function asyncApiViolation(kind: SocketKind, frame: unknown): string | undefined {
  validators ??= compile();
  const validate = validators[kind];
  if (validate(frame)) return undefined;
  const type = (frame as { type?: unknown } | null)?.type;
  return `not a ${kind} message of the AsyncAPI document (type ${JSON.stringify(type)})`;
}
