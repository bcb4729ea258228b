// Which errors mean "a service we depend on (PostgreSQL, Redis, the event store) cannot be reached right
// now". REST answers them with 503 `unavailable` and Retry-After, the socket with an `unavailable` error
// frame: the client may retry, nothing was acknowledged. One list, used by both, so the two never disagree.

/** What REST sends as Retry-After, and what a client should wait before trying again. */
export const RETRY_AFTER_SECONDS = 5;

/** Socket-level failures: the service is down, restarting, or not reachable from here. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server that is going away or not taking connections: class 08 (connection
 * exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300
 * too_many_connections.
 */
const POSTGRES_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

/** Errors the clients raise without a code (pg, pg-pool, ioredis), by the start of their message. */
const MESSAGES = [
  'Connection terminated', // pg: "... unexpectedly", "... due to connection timeout"
  'timeout exceeded when trying to connect', // pg-pool: no connection within connectionTimeoutMillis
  'Client has encountered a connection error and is not queryable', // pg
  'Connection is closed.', // ioredis
  "Stream isn't writeable", // ioredis without an offline queue
  'Command timed out', // ioredis commandTimeout
];

export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const { code, type } = error as { code?: unknown; type?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
  // ioredis gave up on a command queued while it reconnected; KurrentDB's UnavailableError
  if (error.name === 'MaxRetriesPerRequestError' || type === 'unavailable') return true;
  if (MESSAGES.some((message) => error.message.startsWith(message))) return true;
  if (
    error instanceof AggregateError &&
    error.errors.some((inner) => isDependencyUnavailable(inner, depth + 1))
  )
    return true;
  return isDependencyUnavailable(error.cause, depth + 1);
}

/**
 * An error as one log field, without its stack: for errors that repeat by the thousand (a client's bad
 * input, an outage), where a stack per line floods the log and says nothing new.
 */
export function errorSummary(error: unknown): { type: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: error.message.slice(0, 300),
  };
}
