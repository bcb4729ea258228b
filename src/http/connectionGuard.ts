// A per-address cap on connections that have not authenticated yet. A connection counts from the moment it
// is accepted until a request on it passes authentication, or its WebSocket does (a socket waiting for its
// `authenticate` frame still counts), or it closes. A legitimate client authenticates with its first request
// or frame, so its connections count for milliseconds; a flood of connections that never do (slowloris,
// sockets that never authenticate) fills the cap and the next connection from that address is answered 429
// and closed before any of its bytes are read. Per node and in memory: a concurrency cap, not a rate limit.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { RETRY_AFTER_SECONDS } from '../errors/dependencyErrors.ts';

export type ConnectionGuard = {
  /** the connection carried an authenticated request or WebSocket: it no longer counts against its address */
  authenticated(socket: Socket): void;
};

type Logger = { info(object: object, message: string): void };

/** How long a refused connection may take to read its 429 before it is destroyed. */
const REFUSED_LINGER_MS = 1_000;

const REFUSAL_BODY = JSON.stringify({
  type: 'about:blank',
  title: 'Too Many Requests',
  status: 429,
  code: 'too_many_connections',
  detail: 'Too many connections from this address have not authenticated; try again shortly',
});
const REFUSAL = [
  'HTTP/1.1 429 Too Many Requests',
  'Content-Type: application/problem+json',
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}`,
  `Retry-After: ${RETRY_AFTER_SECONDS}`,
  'X-Content-Type-Options: nosniff',
  'Connection: close',
  '',
  REFUSAL_BODY,
].join('\r\n');

/**
 * Puts the cap in front of the HTTP server's own connection handling: a refused connection never reaches
 * the HTTP parser. `maxPerAddress` 0 turns the cap off.
 */
export function guardConnections(server: Server, maxPerAddress: number, logger: Logger): ConnectionGuard {
  const counted = new WeakSet<Socket>();
  const unauthenticated = new Map<string, number>();
  /** addresses over the cap: each is logged once until it falls below again */
  const refusing = new Set<string>();
  if (maxPerAddress <= 0) return { authenticated: () => {} };

  const release = (socket: Socket) => {
    if (!counted.delete(socket)) return;
    const address = socket.remoteAddress ?? '';
    const left = (unauthenticated.get(address) ?? 1) - 1;
    if (left > 0) unauthenticated.set(address, left);
    else unauthenticated.delete(address);
    if (left < maxPerAddress) refusing.delete(address);
  };

  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = unauthenticated.get(address) ?? 0;
    if (count >= maxPerAddress) {
      if (!refusing.has(address)) {
        refusing.add(address);
        logger.info(
          { remoteAddress: address, maxPerAddress },
          'refusing connections: too many unauthenticated from this address',
        );
      }
      return refuse(socket);
    }
    counted.add(socket);
    unauthenticated.set(address, count + 1);
    socket.once('close', () => release(socket));
    for (const handler of handlers) handler.call(server, socket);
  });
  return { authenticated: release };
}

function refuse(socket: Socket): void {
  socket.on('error', () => {}); // a client that resets first has nothing more to hear
  socket.end(REFUSAL);
  socket.resume(); // whatever it sent is read and dropped, so that closing does not reset the answer away
  const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}
