// What the request log may say about a request. Fastify's default serializer logs the full URL, and
// WebSocket clients put their access token in it (?token=): a token in a log is a stolen session. A
// search (?q=) is the words of people's messages, which an erasure cannot take back out of a log
// (docs/privacy.md).
import type { FastifyReply, FastifyRequest } from 'fastify';

type ReplyLike = Pick<FastifyReply, 'statusCode'>;

const REDACTED_QUERY_PARAMETERS = new Set(['token', 'access_token', 'q']);

/** The URL with the values of secret or personal query parameters replaced, however the names are encoded. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const pairs = url.slice(queryStart + 1).split(/([&;])/);
  const redacted = pairs.map((part) => {
    const equals = part.indexOf('=');
    const name = equals === -1 ? part : part.slice(0, equals);
    return REDACTED_QUERY_PARAMETERS.has(decodeName(name).toLowerCase()) ? `${name}=[REDACTED]` : part;
  });
  return `${url.slice(0, queryStart)}?${redacted.join('')}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).trim();
  } catch {
    return name;
  }
}

/** Replaces Fastify's `req` serializer: no headers (Authorization, Sec-WebSocket-Protocol), no tokens. */
export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}

/** The problem code each error answer carried, for its "request completed" line. */
const problemCodes = new WeakMap<ReplyLike, string>();

export function noteProblemCode(reply: ReplyLike, code: string): void {
  problemCodes.set(reply, code);
}

/**
 * Replaces Fastify's `res` serializer: the status, and for an error its problem code, so that a client's
 * mistake is logged once (on the line every request gets anyway), at info, without a stack.
 */
export function serializeReply(reply: ReplyLike) {
  const code = problemCodes.get(reply);
  return { statusCode: reply.statusCode, ...(code ? { code } : {}) };
}
