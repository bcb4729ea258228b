// The one place errors become HTTP answers: application/problem+json with a stable code. Domain codes map
// to statuses in DOMAIN_STATUS; a service we depend on being away is a 503 `unavailable` with Retry-After;
// anything else unknown is a 500 whose details stay in the log. A client's mistake is logged once, as the
// code on the request's own log line, never with a stack.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AuthError } from '../../auth/tokenVerifier.ts';
import { errorSummary, isDependencyUnavailable, RETRY_AFTER_SECONDS } from '../../dependencyErrors.ts';
import { DomainError, type DomainErrorCode } from '../../domain/errors.ts';
import { INVALID_TEXT } from '../../domain/text.ts';
import { EventNotStorable, EventTooLarge, WrongExpectedVersion } from '../../eventstore/eventStore.ts';
import { noteProblemCode } from '../logging.ts';
import { HttpProblem, type Problem } from '../problems.ts';

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

type ProblemAnswer = Omit<Problem, 'type' | 'title'>;

function issueCode(issue: { keyword: string; params: Record<string, unknown> }): string {
  if (issue.keyword === 'unrecognized_keys') return 'unknown_field';
  // the text rules (src/domain/text.ts) carry a stable code of their own
  const own =
    issue.keyword === 'custom' ? (issue.params.params as { code?: unknown } | undefined) : undefined;
  return own?.code === INVALID_TEXT ? INVALID_TEXT : 'validation_failed';
}

export function problemFor(error: FastifyError | Error, request: FastifyRequest): ProblemAnswer {
  if (error instanceof HttpProblem) {
    return { status: error.status, code: error.code, detail: error.message, field: error.field };
  }
  if (error instanceof AuthError) {
    return { status: error.code === 'auth_unavailable' ? 503 : 401, code: error.code, detail: error.message };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    // the names a client knows: body, query, params, headers
    const context = (error as FastifyError).validationContext?.replace('querystring', 'query') ?? 'body';
    const errors = error.validation.map((issue) => {
      const unknownKeys = issue.keyword === 'unrecognized_keys' ? (issue.params.keys as string[]) : [];
      const path = [context, ...issue.instancePath.split('/').filter(Boolean), ...unknownKeys.slice(0, 1)];
      return { field: path.join('.'), code: issueCode(issue), message: issue.message ?? 'invalid' };
    });
    const first = errors[0]!;
    return { status: 400, code: first.code, detail: first.message, field: first.field, errors };
  }
  if (error instanceof WrongExpectedVersion) {
    return {
      status: 409,
      code: 'concurrency_conflict',
      detail: 'Someone else changed this at the same time',
    };
  }
  if (error instanceof EventTooLarge)
    return { status: 413, code: 'content_too_large', detail: error.message };
  // text the edge should have refused (docs/api.md, "Text"); the store's own check caught it
  if (error instanceof EventNotStorable)
    return { status: 400, code: INVALID_TEXT, detail: `The text cannot be stored: ${error.reason}` };
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS[error.code];
    // "not there" and "not yours" must read the same, or the difference tells that a room exists
    if (status === 404) return { status, code: 'not_found', detail: 'Not found' };
    return { status, code: error.code, detail: error.message };
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'body_too_large', detail: 'The request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', detail: 'Send application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON', field: 'body' };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (error instanceof SyntaxError) {
      return { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON', field: 'body' };
    }
    return { status, code: 'bad_request', detail: error.message };
  }
  if (isDependencyUnavailable(error)) {
    // an outage fails every request alike: one line each, without a stack
    request.log.warn({ cause: errorSummary(error) }, 'a service we depend on is unavailable');
    return {
      status: 503,
      code: 'unavailable',
      detail: 'The service is unavailable right now; try again shortly',
    };
  }
  request.log.error({ err: error }, 'unhandled error');
  return { status: 500, code: 'internal_error', detail: 'Something went wrong on our side' };
}

export function sendProblem(reply: FastifyReply, answer: ProblemAnswer): FastifyReply {
  const problem: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[answer.status] ?? 'Error',
    ...answer,
  };
  noteProblemCode(reply, answer.code);
  if (answer.status === 503) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
  if (answer.status === 401) {
    reply.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${answer.code}"`);
  }
  return reply.code(answer.status).type('application/problem+json').send(problem);
}

export const errorsPlugin = fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError, request, reply) =>
      sendProblem(reply, problemFor(error, request)),
    );
    fastify.setNotFoundHandler((request, reply) =>
      sendProblem(reply, {
        status: 404,
        code: 'not_found',
        detail: `No route ${request.method} ${request.url.split('?')[0]}`,
      }),
    );
  },
  { name: 'errors' },
);
