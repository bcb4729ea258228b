// The one place errors become HTTP answers: application/problem+json with a stable code. What the
// framework and the request's validation raise is mapped here; what commands, stores and token checks
// raise comes from the error table shared with the socket (src/errors/errorTable.ts): a service we depend
// on being away is a 503 `unavailable` with Retry-After, anything unknown a 500 whose details stay in the
// log. A client's mistake is logged once, as the code on the request's own log line, never with a stack.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { INVALID_TEXT } from '../../domain/text.ts';
import { errorSummary, RETRY_AFTER_SECONDS } from '../../errors/dependencyErrors.ts';
import { answerFor } from '../../errors/errorTable.ts';
import { noteProblemCode } from '../logging.ts';
import { HttpProblem, type Problem } from '../problems.ts';

/** the problem's fields, and for a 429 when to try again (sent as Retry-After, not in the body) */
type ProblemAnswer = Omit<Problem, 'type' | 'title'> & { retryAfterMs?: number | undefined };

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
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'body_too_large', detail: 'The request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', detail: 'Send application/json' };
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: 'malformed_url', detail: 'The path is not valid percent-encoding' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, code: 'uri_too_long', detail: 'A path segment is longer than any id' };
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
  const answer = answerFor(error);
  if (answer.kind === 'unavailable') {
    // an outage fails every request alike: one line each, without a stack
    request.log.warn({ cause: errorSummary(error) }, 'a service we depend on is unavailable');
  } else if (answer.kind === 'internal') {
    request.log.error({ err: error }, 'unhandled error');
  }
  return {
    status: answer.status,
    code: answer.code,
    detail: answer.detail,
    ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
    ...(answer.rule === undefined ? {} : { rule: answer.rule }),
  };
}

export function sendProblem(reply: FastifyReply, answer: ProblemAnswer): FastifyReply {
  const { retryAfterMs, ...fields } = answer;
  const problem: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[answer.status] ?? 'Error',
    ...fields,
  };
  noteProblemCode(reply, answer.code);
  if (answer.status === 503) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
  // whole seconds (RFC 9110), rounded up: a client that waits that long is under the limit again
  if (retryAfterMs !== undefined) reply.header('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
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
