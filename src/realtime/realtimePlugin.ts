// The WebSocket endpoints: /ws/chat/{room_id}/ (the seed's room socket) and /ws/chat/ (one socket for all of
// a user's rooms). Registers @fastify/websocket with hardened defaults, the per-node fan-out from Redis, the
// heartbeat, and closes every socket with 1012 on shutdown so clients reconnect elsewhere and resume.
import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import type { Config } from '../config.ts';
import { CLOSE } from '../contract/closeCodes.ts';
import { errorSummary } from '../errors/dependencyErrors.ts';
import type { ConnectionGuard } from '../http/connectionGuard.ts';
import { isSameOrigin } from '../http/sameOrigin.ts';
import { openSockets } from '../metrics/metrics.ts';
import { bindCommands, bindFeedSource, bindReadModel } from './bindings.ts';
import { runSession, type SessionDeps, type SessionTarget } from './chatSession.ts';
import { type ClientSocket, wrapSocket } from './clientSocket.ts';
import { boundedLogger, type ConnectionLogger } from './connectionLog.ts';
import { createExpiryWheel } from './expiryWheel.ts';
import { createRealtimePresence, type RealtimePresence } from './presenceDelivery.ts';
import { createTokenBucket, type RateLimit } from './rateLimiter.ts';
import { createRoomFanout } from './roomFanout.ts';
import { currentTypists, publishTyping } from './typing.ts';
import { createUserNotices } from './userNotices.ts';

export type RealtimeLimits = {
  /** largest frame a client may send; larger closes with 1009 (ws's default would be 100 MiB) */
  maxPayloadBytes: number;
  /** per-socket send buffer; past it the socket closes with 4009 (slow consumer) */
  maxBufferedBytes: number;
  /** ping interval; a socket that did not answer the previous ping is dropped */
  heartbeatMs: number;
  authTimeoutMs: number;
  maxSocketsPerUser: number;
  rate: RateLimit;
  maxPendingFrames: number;
  /** resumes further behind than this answer recovered:false (reload over REST) */
  maxReplay: number;
  /** how often a node beats its presence heartbeat; its users go offline within 2 of these after it dies */
  presenceHeartbeatMs: number;
  /** a socket that sent nothing a person does (a keepalive is not) for this long is away until it does */
  presenceIdleMs: number;
};

export const DEFAULT_LIMITS: RealtimeLimits = {
  maxPayloadBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 30_000,
  authTimeoutMs: 5_000,
  maxSocketsPerUser: 20,
  rate: { ratePerSecond: 20, burst: 40 },
  maxPendingFrames: 16,
  maxReplay: 1_000,
  presenceHeartbeatMs: 10_000,
  presenceIdleMs: 10 * 60_000,
};

export type RealtimePluginOptions = {
  config: Pick<Config, 'REDIS_PREFIX' | 'CHAT_ALLOWED_ORIGINS'>;
  limits?: Partial<RealtimeLimits> | undefined;
  /** told when a socket authenticates: it no longer counts as an unauthenticated connection */
  connectionGuard?: ConnectionGuard | undefined;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** presence across nodes (REST shows it in participant lists and takes the invisible setting) */
    presence: RealtimePresence;
  }
}

type RoomParams = { roomId: string };
type SocketQuery = { token?: string; last_seq?: string };

export const realtimePlugin = fp<RealtimePluginOptions>(
  async (fastify, options) => {
    const limits: RealtimeLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const prefix = options.config.REDIS_PREFIX;
    const allowedOrigins = new Set(options.config.CHAT_ALLOWED_ORIGINS);
    const verifyToken = fastify.verifyToken;
    const readModel = bindReadModel(fastify.pg);
    const commands = bindCommands(
      fastify.eventStore,
      fastify.commandStateCache,
      fastify.slowModeGate,
      fastify.moderationPolicy,
      fastify.moderationEscalation,
    );

    // pub/sub needs a connection of its own; it retries forever (sockets are told when it drops)
    const subscriber = fastify.redisConnection('subscriber', 'realtime-subscriber');
    const fanout = createRoomFanout({
      subscriber,
      prefix,
      source: bindFeedSource(fastify.pg),
      maxReplay: limits.maxReplay,
      logger: fastify.log,
    });

    const userNotices = createUserNotices({ subscriber, prefix });
    const presence = createRealtimePresence({
      db: fastify.pg,
      redis: fastify.redis,
      subscriber,
      prefix,
      heartbeatMs: limits.presenceHeartbeatMs,
      idleMs: limits.presenceIdleMs,
      logger: fastify.log,
    });
    fastify.decorate('presence', presence);
    const sessionPresence = {
      opened: (userId: string, socket: object) => presence.store.opened(userId, socket),
      setAway: (userId: string, socket: object, away: boolean) =>
        presence.store.setAway(userId, socket, away),
      active: (userId: string, socket: object) => presence.store.active(userId, socket),
      closed: (userId: string, socket: object) => presence.store.closed(userId, socket),
      ofUsers: presence.ofUsers,
      setInvisible: presence.setInvisible,
      listen: presence.listen,
      unlisten: presence.unlisten,
    };

    const sockets = new Set<ClientSocket>();
    const sessionsByUser = new Map<string, number>();
    const heartbeat = setInterval(() => {
      for (const socket of sockets) {
        if (socket.ws.readyState !== socket.ws.OPEN) continue; // closing: ws ends it (ping would throw)
        if (!socket.alive) {
          socket.ws.terminate();
          continue;
        }
        socket.alive = false;
        socket.ws.ping();
      }
    }, limits.heartbeatMs);
    heartbeat.unref();
    const tokenExpiry = createExpiryWheel<ClientSocket>((socket) =>
      socket.close(CLOSE.tokenExpired, 'token expired'),
    );

    await fastify.register(websocket, {
      options: {
        maxPayload: limits.maxPayloadBytes,
        // compression off: unbounded inflate is a memory attack, and chat frames are small
        perMessageDeflate: false,
        // `Sec-WebSocket-Protocol: bearer, <token>`: answer with `bearer`, never echo the token
        handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
      },
      errorHandler: (error, socket, request) => onSocketError(error, socket, request.log),
      preClose: async () => {
        for (const socket of sockets) socket.close(CLOSE.serviceRestart, 'server shutting down');
      },
    });
    /**
     * A protocol violation (invalid UTF-8, a frame too large, too many fragments: ws's WS_ERR_* codes) is
     * the client's doing: one line at info without a stack. ws closes the socket itself with the code for
     * it (1007, 1009, 1008); terminating here would drop that close frame whenever the socket holds writes
     * back (the client then saw 1006). Anything else is ours: logged and terminated.
     */
    function onSocketError(error: Error, ws: WebSocket, log: ConnectionLogger) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
        log.info({ error: errorSummary(error) }, 'socket error');
        return;
      }
      log.error({ err: error }, 'socket handler failed');
      ws.terminate();
    }

    fastify.addHook('onClose', async () => {
      clearInterval(heartbeat);
      tokenExpiry.stop();
      await presence.stop(true);
      await fanout.close();
      await subscriber.quit().catch(() => subscriber.disconnect());
    });

    /**
     * Browsers send Origin, native apps do not. A browser page may open a socket only from the service's
     * own origin, or from one of CHAT_ALLOWED_ORIGINS when that is set; anything else gets 403 before the
     * upgrade, so a page elsewhere cannot ride on a user's session.
     */
    async function checkOrigin(request: FastifyRequest, reply: FastifyReply) {
      const origin = request.headers.origin;
      if (origin === undefined) return;
      const allowed =
        allowedOrigins.size > 0 ? allowedOrigins.has(origin) : isSameOrigin(origin, request.host);
      if (!allowed) {
        request.log.info({ origin: origin.slice(0, 200) }, 'socket refused: origin not allowed');
        return reply
          .code(403)
          .send({ code: 'origin_not_allowed', message: 'This origin may not open a socket' });
      }
    }

    // one object for every session of the node: a socket holds only what is its own (SessionConnection)
    const sessionDeps: SessionDeps = {
      verifyToken,
      fanout,
      userNotices,
      readModel,
      commands,
      publishTyping: (roomId, user, isTyping) => publishTyping(fastify.redis, prefix, roomId, user, isTyping),
      currentTypists: (roomId) => currentTypists(fastify.redis, prefix, roomId),
      presence: sessionPresence,
      sessionsByUser,
      limits,
      rateLimiter: () => createTokenBucket(limits.rate, Date.now()),
      rateLimits: fastify.rateLimits,
      tokenExpiry,
    };

    /**
     * ws answers the upgrade on the TCP socket itself and never writes the ServerResponse that
     * @fastify/websocket makes for it, but the response holds the socket (`assignSocket`) and the socket
     * holds it back: unhooked here, once the request is an upgrade that passed its checks, it and the
     * request it answers are garbage when the handler returns. A plain GET keeps it for its 404.
     */
    function releaseUpgradeResponse(request: FastifyRequest, reply: FastifyReply, done: () => void) {
      if (request.ws) reply.raw.detachSocket(request.raw.socket);
      done();
    }

    function open(
      ws: WebSocket,
      request: FastifyRequest<{ Querystring: SocketQuery }>,
      target: SessionTarget,
    ) {
      // Nothing of the upgrade's request may outlive this call: its Fastify request and reply, Node's
      // IncomingMessage and ServerResponse (headers, and the URL with the token) would stay alive as long as
      // the socket, some KB together. So the socket keeps its TCP socket, the request id and no closure over
      // `request`; @fastify/websocket's error listener, which closes over request and reply, is swapped for
      // one that holds the connection's log (errors come only after this handler: the plugin adds it just
      // before calling us).
      const tcp = request.raw.socket;
      const log = boundedLogger(fastify.log, { reqId: request.id });
      ws.removeAllListeners('error');
      ws.on('error', (error) => onSocketError(error, ws, log));
      const socket = wrapSocket(ws, limits.maxBufferedBytes, (code, message) => {
        // internal_error and unavailable are logged with their cause where they happen
        if (code !== 'internal_error' && code !== 'unavailable')
          log.info({ code, message }, 'error frame sent');
      });
      sockets.add(socket);
      openSockets.inc({ kind: target.kind });
      ws.on('close', () => {
        sockets.delete(socket);
        openSockets.dec({ kind: target.kind });
      });
      const lastSeq = parseLastSeq(request.query.last_seq);
      if (lastSeq === 'invalid') {
        socket.sendError('invalid_frame', 'last_seq must be a non-negative integer', { field: 'last_seq' });
        socket.close(CLOSE.policyViolation, 'invalid last_seq');
        return;
      }
      runSession(socket, target, { token: tokenOf(request), lastSeq }, sessionDeps, {
        logger: log,
        onAuthenticated: () => options.connectionGuard?.authenticated(tcp),
      });
    }

    fastify.get<{ Querystring: SocketQuery }>(
      '/ws/chat',
      { websocket: true, onRequest: checkOrigin, preHandler: releaseUpgradeResponse },
      (ws, request) => open(ws, request, { kind: 'user' }),
    );
    fastify.get<{ Params: RoomParams; Querystring: SocketQuery }>(
      '/ws/chat/:roomId',
      { websocket: true, onRequest: checkOrigin, preHandler: releaseUpgradeResponse },
      (ws, request) => {
        // a malformed id is a room the user is not in: refused after authentication, like any other.
        // The param is a slice of the URL, which V8 keeps whole behind it (token included) for as long as
        // the socket keeps the id: a copy of its own holds 36 characters instead of the URL's ~300.
        const roomId = Buffer.from(request.params.roomId).toString();
        open(ws, request, { kind: 'room', roomId });
      },
    );
  },
  {
    name: 'realtime',
    dependencies: ['infrastructure', 'auth', 'command-state', 'rate-limits', 'moderation-policy'],
  },
);

function tokenOf(request: FastifyRequest<{ Querystring: SocketQuery }>): string | undefined {
  if (request.query.token) return request.query.token;
  const protocols = request.headers['sec-websocket-protocol']?.split(',').map((part) => part.trim());
  if (protocols?.[0] === 'bearer' && protocols[1]) return protocols[1];
  return undefined;
}

function parseLastSeq(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : 'invalid';
}
