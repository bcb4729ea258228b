// How long the HTTP server (REST and the WebSocket upgrade) waits for a client. Fastify leaves the whole
// request without a deadline by default (requestTimeout 0), so a body dripped a byte every few seconds kept
// its connection for as long as the client liked. Every wait here has a limit, and an answer the server
// writes itself (a timeout, a malformed request) is problem+json like every other.
import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

export type HttpLimitsConfig = Pick<
  Config,
  | 'HTTP_REQUEST_TIMEOUT_MS'
  | 'HTTP_HEADERS_TIMEOUT_MS'
  | 'HTTP_IDLE_TIMEOUT_MS'
  | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'
  | 'HTTP_MAX_REQUESTS_PER_SOCKET'
>;

export function httpServerOptions(config: HttpLimitsConfig): FastifyHttpOptions<Server> {
  return {
    // the whole request, headers and body, must arrive within this (a dripped body, a stalled upload)
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    // no byte in either direction for this long ends the connection (one that never sends a request)
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_MS,
    // an idle keep-alive connection is closed after this
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // then the client opens a new connection: bounds what one connection can do (and log)
    maxRequestsPerSocket: config.HTTP_MAX_REQUESTS_PER_SOCKET,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      // Node checks the two deadlines above every 30 s by default: a deadline of 10 s would hold for 40
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(1_000, config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS) / 2,
      ),
    },
    clientErrorHandler: answerClientError,
  };
}

/** What the server answers itself, before any route: a deadline passed, headers too large, not HTTP. */
function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // a connection that never sent a byte has no request to answer: closed without a word, as nginx does,
  // whichever deadline (idle, headers) noticed it first
  if (socket.bytesRead === 0) return void socket.destroy();
  const [status, code] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large']
        : [400, 'malformed_request'];
  // one line per connection (it is closed below), at info: the client's doing, no stack
  this.log.info({ code, remoteAddress: socket.remoteAddress }, 'client error');
  if (!socket.writable) return void socket.destroy();
  const title = STATUS_CODES[status]!;
  const body = JSON.stringify({ type: 'about:blank', title, status, code });
  // ended, then destroyed once written: a client still sending gets the answer, not a reset
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\n` +
      `Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
