// The one table from what went wrong in a command, a read or a token check to what a client is told:
// REST turns it into problem+json with the status (src/api/plugins/errors.ts), the socket into an `error`
// frame with the same code (src/realtime/chatSession.ts). So a concurrency conflict, an outage or a
// refused token reads the same on both.
import { AuthError } from '../auth/tokenVerifier.ts';
import { StaleRevision } from '../commands/handleCommand.ts';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { INVALID_TEXT } from '../domain/text.ts';
import {
  EventNotStorable,
  EventTooLarge,
  IdempotencyMismatch,
  WrongExpectedVersion,
} from '../eventstore/eventStore.ts';
import { isDependencyUnavailable } from './dependencyErrors.ts';

/**
 * The status each domain error code answers with. A participant check that fails is a 404, like a room
 * that does not exist: a non-participant learns nothing. 403 means "you are in, but may not do this";
 * 409 "not in the current state of the thing"; 422 "this input can never work".
 */
export const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  not_found: 404,
  not_a_participant: 404,
  invalid_input: 422,
  invalid_room_type: 422,
  direct_room_requires_one_other_user: 422,
  not_allowed_in_direct_room: 409,
  not_room_admin: 403,
  forbidden: 403,
  last_admin: 409,
  participant_muted: 403,
  room_archived: 409,
  content_required: 422,
  message_too_long: 422,
  attachment_required: 422,
  attachment_too_large: 422,
  attachment_type_not_allowed: 422,
  invalid_reply_to: 422,
  idempotency_conflict: 409,
  not_message_sender: 403,
  message_deleted: 409,
  message_hidden: 409,
  user_blocked: 403,
  cannot_block_self: 422,
};

/**
 * client: the caller's request cannot be done as it is (tell them why); unavailable: a service we depend
 * on is away (try again shortly, nothing was done); internal: our fault (logged with its stack).
 */
export type ErrorAnswer = {
  kind: 'client' | 'unavailable' | 'internal';
  status: number;
  code: string;
  detail: string;
};

export function answerFor(error: unknown): ErrorAnswer {
  const client = (status: number, code: string, detail: string): ErrorAnswer => ({
    kind: 'client',
    status,
    code,
    detail,
  });
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS[error.code];
    // "not there" and "not yours" must read the same, or the difference tells that a room exists
    if (status === 404) return client(404, 'not_found', 'Not found');
    return client(status, error.code, error.message);
  }
  if (error instanceof AuthError) {
    if (error.code === 'auth_unavailable') {
      return { kind: 'unavailable', status: 503, code: error.code, detail: error.message };
    }
    return client(401, error.code, error.message);
  }
  if (error instanceof WrongExpectedVersion) {
    return client(409, 'concurrency_conflict', 'Someone else changed this at the same time');
  }
  if (error instanceof StaleRevision) {
    return client(412, 'precondition_failed', 'This changed since you read it (If-Match); read it again');
  }
  if (error instanceof IdempotencyMismatch) {
    return client(409, 'idempotency_conflict', 'This was sent before with other content');
  }
  if (error instanceof EventTooLarge) return client(413, 'content_too_large', error.message);
  // text the edge should have refused (docs/api.md, "Text"); the store's own check caught it
  if (error instanceof EventNotStorable) {
    return client(400, INVALID_TEXT, `The text cannot be stored: ${error.reason}`);
  }
  if (isDependencyUnavailable(error)) {
    return {
      kind: 'unavailable',
      status: 503,
      code: 'unavailable',
      detail: 'The service is unavailable right now; try again shortly',
    };
  }
  return {
    kind: 'internal',
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on our side',
  };
}
