// The one table from what went wrong in a command, a read or a token check to what a client is told:
// REST turns it into problem+json with the status (src/api/plugins/errors.ts), the socket into an `error`
// frame with the same code (src/realtime/chatSession.ts). So a concurrency conflict, an outage or a
// refused token reads the same on both.
import { AuthError } from '../auth/tokenVerifier.ts';
import { StaleRevision } from '../commands/handleCommand.ts';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { MessageBouncedError } from '../domain/moderationOutcomes.ts';
import { INVALID_TEXT } from '../domain/text.ts';
import {
  EventNotStorable,
  EventTooLarge,
  IdempotencyMismatch,
  WrongExpectedVersion,
} from '../eventstore/eventStore.ts';
import { RateLimited } from '../limits/rateLimits.ts';
import { SlowModeActive } from '../limits/slowModeGate.ts';
import { isDependencyUnavailable } from './dependencyErrors.ts';

/**
 * The status each domain error code answers with. A participant check that fails is a 404, like a room
 * that does not exist: a non-participant learns nothing. 403 means "you are in, but may not do this";
 * 409 "not in the current state of the thing"; 422 "this input can never work".
 */
export const DOMAIN_STATUS = {
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
  // the upload's answer too (src/api/attachments.ts): a type we do not take, whoever notices it
  attachment_type_not_allowed: 415,
  invalid_reply_to: 422,
  idempotency_conflict: 409,
  not_message_sender: 403,
  message_deleted: 409,
  message_hidden: 409,
  message_bounced: 422,
  user_blocked: 403,
  cannot_block_self: 422,
} as const satisfies Record<DomainErrorCode, number>;

/**
 * Every code a REST answer can carry, with its one status: the domain's (a non-participant's
 * `not_a_participant` answers as `not_found`), the token check's, the event store's, and what the framework,
 * the HTTP server and the routes refuse (src/api). Routes declare the codes they answer by name
 * (`schema.problems`) and the OpenAPI document lists them per status; an HttpProblem's status must be its
 * code's (checked by the compiler).
 */
export const PROBLEM_STATUS = {
  ...DOMAIN_STATUS,
  // token check (src/auth/tokenVerifier.ts)
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_wrong_type: 401,
  token_claims_invalid: 401,
  token_algorithm_not_allowed: 401,
  token_unknown_key: 401,
  auth_unavailable: 503,
  // the event store and the command handler
  concurrency_conflict: 409,
  precondition_failed: 412,
  content_too_large: 413,
  [INVALID_TEXT]: 400,
  unavailable: 503,
  internal_error: 500,
  // the request as the framework reads it (src/api/plugins/errors.ts)
  validation_failed: 400,
  unknown_field: 400,
  malformed_json: 400,
  malformed_url: 400,
  bad_request: 400,
  uri_too_long: 414,
  body_too_large: 413,
  unsupported_media_type: 415,
  // the HTTP server itself, before any route (src/http/serverLimits.ts)
  malformed_request: 400,
  request_timeout: 408,
  headers_too_large: 431,
  // the per-address cap on connections that have not authenticated (src/http/connectionGuard.ts)
  too_many_connections: 429,
  // over a rate limit (src/limits/rateLimits.ts), with Retry-After
  rate_limited: 429,
  // a message within the room's slow mode (src/limits/slowModeGate.ts), with Retry-After
  slow_mode: 429,
  // the routes (src/api)
  invalid_if_match: 400,
  invalid_query: 400,
  malformed_multipart: 400,
  invalid_attachment: 422,
  image_too_large: 422,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;
export type ProblemStatus<C extends ProblemCode> = (typeof PROBLEM_STATUS)[C];

/**
 * client: the caller's request cannot be done as it is (tell them why); unavailable: a service we depend
 * on is away (try again shortly, nothing was done); internal: our fault (logged with its stack).
 */
export type ErrorAnswer = {
  kind: 'client' | 'unavailable' | 'internal';
  status: number;
  code: string;
  detail: string;
  /** over a limit: when to try again (REST's Retry-After, the socket's retry_after_ms) */
  retryAfterMs?: number;
  /** message_bounced: the moderation rule that refused the text */
  rule?: { id: string; name: string };
};

export function answerFor(error: unknown): ErrorAnswer {
  const client = (code: ProblemCode, detail: string): ErrorAnswer => ({
    kind: 'client',
    status: PROBLEM_STATUS[code],
    code,
    detail,
  });
  if (error instanceof MessageBouncedError) {
    return { ...client('message_bounced', error.message), rule: error.rule };
  }
  if (error instanceof DomainError) {
    // "not there" and "not yours" must read the same, or the difference tells that a room exists
    if (DOMAIN_STATUS[error.code] === 404) return client('not_found', 'Not found');
    return client(error.code, error.message);
  }
  if (error instanceof RateLimited) {
    return { ...client('rate_limited', error.message), retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof SlowModeActive) {
    return { ...client('slow_mode', error.message), retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof AuthError) {
    if (error.code === 'auth_unavailable') {
      return { kind: 'unavailable', status: 503, code: error.code, detail: error.message };
    }
    return client(error.code, error.message);
  }
  if (error instanceof WrongExpectedVersion) {
    return client('concurrency_conflict', 'Someone else changed this at the same time');
  }
  if (error instanceof StaleRevision) {
    return client('precondition_failed', 'This changed since you read it (If-Match); read it again');
  }
  if (error instanceof IdempotencyMismatch) {
    return client('idempotency_conflict', 'This was sent before with other content');
  }
  if (error instanceof EventTooLarge) return client('content_too_large', error.message);
  // text the edge should have refused (docs/api.md, "Text"); the store's own check caught it
  if (error instanceof EventNotStorable) {
    return client(INVALID_TEXT, `The text cannot be stored: ${error.reason}`);
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
