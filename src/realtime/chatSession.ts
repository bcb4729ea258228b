// One client connection from open to close: authenticate, authorize, join rooms, then turn client frames
// into commands and room feeds into server frames. Two kinds of socket share it:
//   room socket  /ws/chat/{room_id}/  the seed's protocol: one room, joined at connect
//   user socket  /ws/chat/            every room the client subscribes to with subscribe/unsubscribe frames
import type { AuthenticatedUser, TokenVerifier } from '../auth/tokenVerifier.ts';
import { CLOSE } from '../contract/closeCodes.ts';
import type { ClientFrame } from '../contract/frames.ts';
import type { PresenceJson } from '../contract/resources.ts';
import { errorSummary } from '../errors/dependencyErrors.ts';
import { answerFor } from '../errors/errorTable.ts';
import { RateLimited, type RateLimits } from '../limits/rateLimits.ts';
import { framesReceived } from '../metrics/metrics.ts';
import type { ClientSocket } from './clientSocket.ts';
import type { ConnectionLogger } from './connectionLog.ts';
import type { ExpiryWheel } from './expiryWheel.ts';
import { type WireMessage, wsFrame } from './feedWire.ts';
import { parseClientFrame } from './protocol.ts';
import type { TokenBucket } from './rateLimiter.ts';
import type { JoinOutcome, RoomFanout, RoomSink } from './roomFanout.ts';
import type { UserNotices } from './userNotices.ts';

/** A user's membership of a room as the socket needs it: which part of its history they may read. */
export type RoomAccess = {
  /** `shared`: everything since the room began; `joined`: what was sent within their windows */
  history: 'shared' | 'joined';
  /** the user's membership windows in feed seqs, oldest first, both ends included; the last one is open */
  windows: readonly { fromSeq: number; toSeq: number | null }[];
};

/** What the socket reads from the read models (always for the caller: a non-participant gets null). */
export type RealtimeReadModel = {
  /** the user's current membership, null when they are not (or no longer) a participant */
  membership(roomId: string, userId: string): Promise<RoomAccess | null>;
  /** what a room socket greets with (one read): membership, unread count, the other participants */
  greeting(
    roomId: string,
    userId: string,
  ): Promise<{
    access: RoomAccess;
    unreadCount: number;
    roommates: string[];
    /** those of the roommates who are invisible */
    invisibleRoommates: string[];
  } | null>;
  unreadCount(roomId: string, userId: string): Promise<number>;
};

/** The commands a socket can issue, already bound to the event store. Errors carry a stable `code`. */
export type RealtimeCommands = {
  sendMessage(
    user: AuthenticatedUser,
    input: { roomId: string; content: string; replyTo: string | null; clientId: string | null },
  ): Promise<{ messageId: string; position: string; created: boolean }>;
  markRead(user: AuthenticatedUser, input: { roomId: string; messageId: string }): Promise<void>;
  markRoomRead(user: AuthenticatedUser, input: { roomId: string }): Promise<void>;
};

type PresenceListener = { userId: string; roomId: string | null; send(frame: PresenceJson): void };

/** Presence as a socket takes part in it (src/realtime/presenceDelivery.ts, bound in realtimePlugin.ts). */
export type SessionPresence = {
  /** this socket is open (online), away or back, closed: the node's presence of the user follows */
  opened(userId: string, socket: object): Promise<void>;
  setAway(userId: string, socket: object, away: boolean): Promise<void>;
  /** the socket's user did something (not a keepalive): an idle socket is online again */
  active(userId: string, socket: object): Promise<void>;
  closed(userId: string, socket: object): Promise<void>;
  /** these users' presence now (the room's other participants, for the greeting; `invisible`: which of them are invisible, when the caller read it already) */
  ofUsers(userIds: readonly string[], invisible?: ReadonlySet<string>): Promise<PresenceJson[]>;
  setInvisible(userId: string, invisible: boolean): Promise<void>;
  /** changes of the presence of people this socket's user may see (of its room's people on a room socket) */
  listen(listener: PresenceListener): void;
  unlisten(listener: PresenceListener): void;
};

export type SessionLimits = {
  /** how long a socket may stay open without a valid token */
  authTimeoutMs: number;
  /** sockets one user may have open on this node */
  maxSocketsPerUser: number;
  /** frames kept waiting to be handled in order (before the socket is ready, or behind a slow command) */
  maxPendingFrames: number;
};

export type SessionDeps = {
  verifyToken: TokenVerifier;
  fanout: RoomFanout;
  /** a user socket's notices (added to a room, out of one) */
  userNotices: UserNotices;
  readModel: RealtimeReadModel;
  commands: RealtimeCommands;
  publishTyping(roomId: string, user: AuthenticatedUser, isTyping: boolean): Promise<void>;
  currentTypists(roomId: string): Promise<{ user_id: string; username: string | null }[]>;
  presence: SessionPresence;
  /**
   * how many sessions each user has open on this node: the per-user socket cap (a count, not a set of
   * sessions: a set per user was about 0.1 KiB of every idle socket)
   */
  sessionsByUser: Map<string, number>;
  limits: SessionLimits;
  /** this socket's frame budget (a flood guard, local to the socket) */
  rateLimiter(): TokenBucket;
  /** the user's allowances across every node: socket opens, sends and other writes */
  rateLimits: RateLimits;
  /** closes sockets whose token expired (one timer for all of them) */
  tokenExpiry: ExpiryWheel<ClientSocket>;
};

/** What is the connection's own; the deps are one object shared by every session of the node. */
export type SessionConnection = {
  /** this connection's log (bounded: a client cannot flood it) */
  logger: ConnectionLogger;
  /** called once the socket's user is known: it no longer counts as an unauthenticated connection */
  onAuthenticated?(): void;
};

export type SessionTarget = { kind: 'room'; roomId: string } | { kind: 'user' };

export type SessionStart = {
  /** from ?token= or the bearer subprotocol; absent: the first frame must be `authenticate` */
  token: string | undefined;
  /** ?last_seq= on a room socket */
  lastSeq: number | undefined;
};

/** A backlog of frames drains within a command's time: a client told to wait tries again after this. */
const BACKLOG_RETRY_MS = 250;

export function runSession(
  socket: ClientSocket,
  target: SessionTarget,
  start: SessionStart,
  deps: SessionDeps,
  connection: SessionConnection,
): void {
  new ChatSession(socket, target, deps, connection).start(start);
}

/**
 * A class, not a function of closures: every idle socket held its session's two dozen inner functions
 * and their contexts (about 3 KB); the methods are shared, and what a session holds of its own is these
 * fields, its two ws listeners and a RoomSubscription per room.
 */
class ChatSession {
  private readonly socket: ClientSocket;
  private readonly target: SessionTarget;
  private readonly deps: SessionDeps;
  private readonly logger: ConnectionLogger;
  private onAuthenticated: (() => void) | undefined;
  /** no token in the URL: the first frame must be `authenticate` */
  private byFrame = false;
  private resumeAfter: number | undefined;
  private readonly bucket: TokenBucket;
  private readonly sinks = new Map<string, RoomSubscription>();
  private stopNotices: (() => void) | undefined;
  private presenceWatch: PresenceWatch | undefined;
  /** presence changes that came before the greeting (sent after it); null once greeted */
  private presenceBefore: PresenceJson[] | null = [];
  private presenceOpened = false;
  /** counted in deps.sessionsByUser (from admission to close) */
  private counted = false;
  /** frames that came before the socket was ready; undefined once it is */
  private pending: string[] | undefined = [];
  private user: AuthenticatedUser | undefined;
  private state: 'authenticating' | 'authorizing' | 'ready' | 'closed' = 'authenticating';
  // frames are handled one after another: a client's messages are sent in the order it wrote them
  private handled: Promise<void> | undefined;
  private waiting = 0;
  private authDeadline: NodeJS.Timeout | undefined;

  constructor(socket: ClientSocket, target: SessionTarget, deps: SessionDeps, connection: SessionConnection) {
    this.socket = socket;
    this.target = target;
    this.deps = deps;
    this.logger = connection.logger;
    this.onAuthenticated = connection.onAuthenticated;
    this.bucket = deps.rateLimiter();
    socket.ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    socket.ws.on('close', () => this.cleanUp());
  }

  start(start: SessionStart) {
    // neither the token nor `start`, which holds it, stays with the socket once it is verified
    this.resumeAfter = start.lastSeq;
    if (start.token !== undefined) {
      void this.authenticate(start.token);
      return;
    }
    // without a token in the URL, an `authenticate` frame must arrive and verify before the deadline
    this.byFrame = true;
    this.authDeadline = setTimeout(() => {
      this.logger.info({}, 'socket authentication timed out');
      this.socket.close(CLOSE.authTimeout, 'authentication timeout');
    }, this.deps.limits.authTimeoutMs);
  }

  private receive(data: Buffer, isBinary: boolean) {
    framesReceived.inc({ kind: this.target.kind });
    if (this.state === 'closed') return;
    const { socket } = this;
    const waitMs = this.bucket.take(Date.now());
    if (waitMs > 0) {
      socket.sendError('rate_limited', 'Too many frames: slow down', { retry_after_ms: waitMs });
      return;
    }
    if (isBinary) {
      socket.sendError('invalid_frame', 'Frames are JSON text, not binary');
      return;
    }
    const text = data.toString();
    if (this.state === 'ready') return this.enqueue(text);
    if (this.state === 'authenticating' && this.byFrame) return void this.authenticateWithFrame(text);
    const pending = this.pending!;
    if (pending.length >= this.deps.limits.maxPendingFrames) {
      socket.sendError('rate_limited', 'Too many frames before the connection was established', {
        retry_after_ms: BACKLOG_RETRY_MS,
      });
      return;
    }
    pending.push(text);
  }

  private authenticateWithFrame(text: string) {
    const parsed = parseClientFrame(text);
    if (!parsed.ok || parsed.frame.type !== 'authenticate') {
      this.logger.info(
        { frameType: parsed.ok ? parsed.frame.type : parsed.code },
        'socket sent a frame before authenticate',
      );
      this.socket.close(CLOSE.authFailed, 'authenticate first');
      return;
    }
    this.state = 'authorizing';
    void this.authenticate(parsed.frame.token);
  }

  private async authenticate(token: string) {
    const { socket, deps, target } = this;
    const limits = deps.limits;
    this.state = 'authorizing';
    let user: AuthenticatedUser;
    try {
      user = await deps.verifyToken(token);
    } catch (error) {
      // the reason in the close frame is the auth code, as on REST's 401 (src/errors/errorTable.ts)
      const answer = answerFor(error);
      const code = answer.kind === 'internal' ? 'token_invalid' : answer.code;
      this.logger.info({ code }, 'socket authentication failed');
      socket.close(CLOSE.authFailed, code);
      return;
    }
    if (!socket.isOpen()) return;
    this.user = user;
    clearTimeout(this.authDeadline);
    this.authDeadline = undefined;
    this.onAuthenticated?.();
    this.onAuthenticated = undefined;
    if ((deps.sessionsByUser.get(user.userId) ?? 0) >= limits.maxSocketsPerUser) {
      socket.close(CLOSE.tooManySockets, 'too many sockets for this user');
      return;
    }
    if (!(await this.admitSocket(user))) return;
    deps.sessionsByUser.set(user.userId, (deps.sessionsByUser.get(user.userId) ?? 0) + 1);
    this.counted = true;
    deps.tokenExpiry.add(socket, user.expiresAt.getTime());
    try {
      if (target.kind === 'room') await this.openRoomSocket(user, target.roomId);
      else await this.openUserSocket(user);
    } catch (error) {
      if (answerFor(error).kind === 'unavailable')
        this.logger.warn(
          { cause: errorSummary(error) },
          'opening a chat socket failed: a service is unavailable',
        );
      else this.logger.error({ err: error }, 'opening a chat socket failed');
      socket.close(CLOSE.serviceRestart, 'try again');
      return;
    }
    if (socket.closedByServer()) return;
    // a client that closed once greeted (the seed's snippets send, read the greeting and close) still has
    // the frames it sent before handled: the greeting authorized them, and a message sent is not dropped
    // for the socket it came on closing
    if (socket.isOpen()) {
      this.state = 'ready';
      this.presenceOpened = true;
      deps.presence.opened(user.userId, this).catch((error) => {
        this.logger.warn({ cause: errorSummary(error) }, 'presence unavailable');
      });
    }
    const pending = this.pending!;
    this.pending = undefined;
    for (const text of pending) this.enqueue(text);
  }

  /** The user's socket opens across every node; over the limit the socket is told when, and closed. */
  private async admitSocket(me: AuthenticatedUser): Promise<boolean> {
    try {
      await this.deps.rateLimits.take('socket', me.userId);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      this.socket.sendError('rate_limited', error.message, { retry_after_ms: error.retryAfterMs });
      this.socket.close(CLOSE.tooManySockets, 'rate_limited');
      return false;
    }
    return this.socket.isOpen();
  }

  /** Presence changes for this socket, from before its snapshot is read (none are missed in between). */
  private listenToPresence(me: AuthenticatedUser, roomId: string | null) {
    // a socket closed while it was opening was cleaned up already: a listener added now would stay forever
    if (this.state === 'closed') return;
    this.presenceWatch = new PresenceWatch(this, me.userId, roomId);
    this.deps.presence.listen(this.presenceWatch);
  }

  presenceChanged(frame: PresenceJson) {
    if (this.presenceBefore) this.presenceBefore.push(frame);
    else this.socket.send({ type: 'presence', ...frame });
  }

  private greetedForPresence() {
    const before = this.presenceBefore ?? [];
    this.presenceBefore = null;
    for (const frame of before) this.socket.send({ type: 'presence', ...frame });
  }

  private enqueue(text: string) {
    // a client may not pile up work faster than its commands complete (a stalled store, a flood)
    if (this.waiting >= this.deps.limits.maxPendingFrames) {
      this.socket.sendError('rate_limited', 'Too many frames waiting to be handled: slow down', {
        retry_after_ms: BACKLOG_RETRY_MS,
      });
      return;
    }
    this.waiting++;
    const handled = (this.handled ?? Promise.resolve())
      .then(() => this.handle(text))
      .finally(() => {
        // the last frame handled: an idle socket keeps no settled promise
        if (--this.waiting === 0 && this.handled === handled) this.handled = undefined;
      });
    this.handled = handled;
  }

  private async openRoomSocket(me: AuthenticatedUser, roomId: string) {
    const { socket, deps } = this;
    const greeting = await deps.readModel.greeting(roomId, me.userId);
    if (!greeting) {
      socket.close(CLOSE.forbidden, 'not a participant');
      return;
    }
    const { access, unreadCount, roommates, invisibleRoommates } = greeting;
    this.listenToPresence(me, roomId);
    const [typists, presence] = await Promise.all([
      deps.currentTypists(roomId),
      deps.presence.ofUsers(roommates, new Set(invisibleRoommates)),
    ]);
    // sent once the room is subscribed: from here on the client misses nothing, typing included; the
    // presence changes held since listening go after it (flushed before joinRoom greets, one could come
    // first: seen when a roommate's own connect was published meanwhile)
    const greet = () => {
      socket.send({
        type: 'connection_established',
        room_id: roomId,
        unread_count: unreadCount,
        user_id: me.userId,
        username: me.username ?? null,
        typing: typists.filter((typist) => typist.user_id !== me.userId),
        presence,
      });
      this.greetedForPresence();
    };
    await this.joinRoom(me, roomId, access, this.resumeAfter, greet, (outcome) => {
      if (outcome.resumed) socket.send({ type: 'resumed', room_id: roomId, ...describeResume(outcome) });
    });
  }

  private async openUserSocket(me: AuthenticatedUser) {
    const { socket } = this;
    // notices flow from the greeting on: rooms the user is added to, or taken out of, while connected
    const notices = this.deps.userNotices.listen(me.userId, (message) =>
      socket.sendPrepared(wsFrame(message)),
    );
    this.stopNotices = notices.stop;
    this.listenToPresence(me, null);
    await notices.ready;
    if (!socket.isOpen()) return;
    socket.send({
      type: 'connection_established',
      room_id: null,
      user_id: me.userId,
      username: me.username ?? null,
    });
    this.greetedForPresence();
  }

  private async joinRoom(
    me: AuthenticatedUser,
    roomId: string,
    access: RoomAccess,
    afterSeq: number | undefined,
    ready: (() => void) | undefined,
    announce: (outcome: JoinOutcome) => void,
  ) {
    const sink = new RoomSubscription(this, me.userId, roomId, access);
    this.sinks.set(roomId, sink);
    try {
      await this.deps.fanout.join(roomId, sink, {
        ...(afterSeq === undefined ? {} : { afterSeq }),
        joinedSeq: access.windows.at(-1)!.fromSeq,
        firstReadableSeq: access.history === 'joined' ? access.windows[0]!.fromSeq : 1,
        ...(ready ? { ready } : {}),
        announce,
      });
    } catch (error) {
      this.sinks.delete(roomId);
      throw error;
    }
  }

  /** whether the room's sink is this socket's current one and the socket is open (RoomSink.isOpen) */
  delivers(sink: RoomSubscription): boolean {
    return this.socket.isOpen() && this.sinks.get(sink.roomId) === sink;
  }

  deliver(sink: RoomSubscription, message: WireMessage) {
    this.socket.sendPrepared(wsFrame(message));
    if (message.type === 'read_receipt' && message.subject === sink.userId)
      void this.sendUnreadCount(sink.userId, sink.roomId);
  }

  revoked(sink: RoomSubscription) {
    const roomId = sink.roomId;
    this.sinks.delete(roomId);
    if (this.target.kind === 'room') this.socket.close(CLOSE.forbidden, 'no longer a participant');
    else this.socket.send({ type: 'unsubscribed', room_id: roomId, reason: 'no_longer_participant' });
  }

  interrupted(reason: string) {
    this.socket.close(CLOSE.serviceRestart, reason);
  }

  /** Unread counts change for a user when their own marker moves; other changes the client counts itself. */
  private async sendUnreadCount(userId: string, roomId: string) {
    try {
      const unreadCount = await this.deps.readModel.unreadCount(roomId, userId);
      this.socket.send({ type: 'unread_count', room_id: roomId, unread_count: unreadCount });
    } catch (error) {
      this.logger.warn({ cause: errorSummary(error), roomId }, 'unread count unavailable');
    }
  }

  private async handle(text: string) {
    const { socket, deps } = this;
    // a socket the server closes (shutdown, revoked, slow) handles nothing more: the client retries after
    // reconnecting; frames a client sent before closing it themselves are handled
    if (socket.closedByServer()) return;
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      socket.sendError(parsed.code, parsed.message, {
        ...(parsed.field ? { field: parsed.field } : {}),
        ...(parsed.clientId ? { client_id: parsed.clientId } : {}),
      });
      return;
    }
    const frame = parsed.frame;
    const user = this.user!;
    // what a person does keeps the socket from turning away by itself; a keepalive or a presence frame
    // (which says away or back itself) does not
    if (frame.type !== 'ping' && frame.type !== 'set_presence') {
      deps.presence.active(user.userId, this).catch((error) => {
        this.logger.warn({ cause: errorSummary(error) }, 'presence unavailable');
      });
    }
    try {
      await this.dispatch(user, frame);
    } catch (error) {
      const clientId = frame.type === 'chat_message' ? { client_id: frame.client_id ?? null } : {};
      // the same table as REST's answers (src/errors/errorTable.ts)
      const answer = answerFor(error);
      if (answer.kind === 'unavailable') {
        // nothing was acknowledged: the client retries (a message with its client_id) once we are back
        this.logger.warn(
          { cause: errorSummary(error), frameType: frame.type },
          'a service we depend on is unavailable',
        );
      } else if (answer.kind === 'internal') {
        this.logger.error({ err: error, frameType: frame.type }, 'handling a chat frame failed');
      }
      socket.sendError(
        answer.code,
        answer.kind === 'internal' ? `${answer.detail}; try again` : answer.detail,
        {
          ...clientId,
          ...(answer.retryAfterMs === undefined ? {} : { retry_after_ms: answer.retryAfterMs }),
          ...(answer.rule === undefined ? {} : { rule: answer.rule }),
        },
      );
    }
  }

  /** The room a frame acts on: the socket's room, or on a user socket a room it subscribed to. */
  private roomOf(frame: { room_id?: string | undefined }): string | null {
    if (this.target.kind === 'room') return this.target.roomId;
    if (!frame.room_id) {
      this.socket.sendError('invalid_frame', 'room_id: required on this socket', { field: 'room_id' });
      return null;
    }
    if (!this.sinks.has(frame.room_id)) {
      this.socket.sendError('not_subscribed', 'Subscribe to the room first', { room_id: frame.room_id });
      return null;
    }
    return frame.room_id;
  }

  private async dispatch(me: AuthenticatedUser, frame: ClientFrame) {
    const { socket, deps } = this;
    const commands = deps.commands;
    switch (frame.type) {
      case 'chat_message': {
        const roomId = this.roomOf(frame);
        if (!roomId) return;
        await deps.rateLimits.take('send', me.userId);
        const result = await commands.sendMessage(me, {
          roomId,
          content: frame.message,
          replyTo: frame.reply_to ?? null,
          clientId: frame.client_id ?? null,
        });
        socket.send({
          type: 'message_ack',
          room_id: roomId,
          client_id: frame.client_id ?? null,
          message_id: result.messageId,
          position: result.position,
          created: result.created,
        });
        return;
      }
      case 'typing': {
        const roomId = this.roomOf(frame);
        if (roomId) await deps.publishTyping(roomId, me, frame.is_typing);
        return;
      }
      case 'read_receipt': {
        const roomId = this.roomOf(frame);
        if (!roomId) return;
        await deps.rateLimits.take('write', me.userId);
        await commands.markRead(me, { roomId, messageId: frame.message_id });
        return;
      }
      case 'mark_room_read': {
        const roomId = this.roomOf(frame);
        if (!roomId) return;
        await deps.rateLimits.take('write', me.userId);
        await commands.markRoomRead(me, { roomId });
        return;
      }
      case 'subscribe':
        return this.subscribe(me, frame.room_id, frame.last_seq);
      case 'unsubscribe': {
        if (this.target.kind === 'room') return this.notOnRoomSocket(frame.type);
        const sink = this.sinks.get(frame.room_id);
        if (sink) {
          this.sinks.delete(frame.room_id);
          deps.fanout.leave(frame.room_id, sink);
        }
        socket.send({ type: 'unsubscribed', room_id: frame.room_id, reason: 'requested' });
        return;
      }
      case 'ping':
        socket.send({ type: 'pong' });
        return;
      case 'set_presence':
        if (frame.away !== undefined) await deps.presence.setAway(me.userId, this, frame.away);
        if (frame.invisible !== undefined) await deps.presence.setInvisible(me.userId, frame.invisible);
        return;
      case 'authenticate':
        socket.sendError('already_authenticated', 'This socket is already authenticated');
        return;
      default: {
        const exhaustive: never = frame;
        return exhaustive;
      }
    }
  }

  private async subscribe(me: AuthenticatedUser, roomId: string, lastSeq: number | undefined) {
    if (this.target.kind === 'room') return this.notOnRoomSocket('subscribe');
    const { socket } = this;
    if (this.sinks.has(roomId)) {
      socket.sendError('invalid_frame', 'Already subscribed to this room', { room_id: roomId });
      return;
    }
    const membership = await this.deps.readModel.membership(roomId, me.userId);
    if (!membership) {
      socket.sendError('not_a_participant', 'Not a participant of this room', { room_id: roomId });
      return;
    }
    await this.joinRoom(me, roomId, membership, lastSeq, undefined, (outcome) => {
      socket.send({
        type: 'subscribed',
        room_id: roomId,
        last_seq: outcome.toSeq,
        ...(outcome.resumed ? describeResume(outcome) : {}),
      });
    });
  }

  private notOnRoomSocket(type: string) {
    this.socket.sendError('invalid_frame', `"${type}" is for the user socket /ws/chat/, not a room socket`, {
      field: 'type',
    });
  }

  private cleanUp() {
    const { deps, user } = this;
    this.state = 'closed';
    clearTimeout(this.authDeadline);
    if (user) deps.tokenExpiry.remove(this.socket, user.expiresAt.getTime());
    this.stopNotices?.();
    if (this.presenceWatch) deps.presence.unlisten(this.presenceWatch);
    if (user && this.presenceOpened) {
      deps.presence.closed(user.userId, this).catch((error) => {
        this.logger.warn({ cause: errorSummary(error) }, 'presence unavailable');
      });
    }
    for (const [roomId, sink] of this.sinks) deps.fanout.leave(roomId, sink);
    this.sinks.clear();
    if (user && this.counted) {
      const left = (deps.sessionsByUser.get(user.userId) ?? 1) - 1;
      if (left > 0) deps.sessionsByUser.set(user.userId, left);
      else deps.sessionsByUser.delete(user.userId);
    }
  }
}

/** One socket's sink in one room: the session does the work, this holds which room and what it may read. */
class RoomSubscription implements RoomSink {
  readonly userId: string;
  readonly roomId: string;
  private readonly session: ChatSession;
  /** the windows stay as read while the socket is in the room: the open one lasts until the removal or
   * leave, which ends the delivery */
  private readonly access: RoomAccess;

  constructor(session: ChatSession, userId: string, roomId: string, access: RoomAccess) {
    this.session = session;
    this.userId = userId;
    this.roomId = roomId;
    this.access = access;
  }

  sees(messageSeq: number): boolean {
    return this.access.windows.some(
      (window) => window.fromSeq <= messageSeq && (window.toSeq === null || messageSeq <= window.toSeq),
    );
  }

  isOpen(): boolean {
    return this.session.delivers(this);
  }

  send(_roomId: string, message: WireMessage): void {
    this.session.deliver(this, message);
  }

  revoke(): void {
    this.session.revoked(this);
  }

  interrupt(reason: string): void {
    this.session.interrupted(reason);
  }
}

/** The session as a presence listener: of its room's people, or (roomId null) of all its user's roommates. */
class PresenceWatch {
  readonly userId: string;
  readonly roomId: string | null;
  private readonly session: ChatSession;

  constructor(session: ChatSession, userId: string, roomId: string | null) {
    this.session = session;
    this.userId = userId;
    this.roomId = roomId;
  }

  send(frame: PresenceJson): void {
    this.session.presenceChanged(frame);
  }
}

function describeResume(outcome: Extract<JoinOutcome, { resumed: true }>) {
  return {
    from_seq: outcome.fromSeq,
    to_seq: outcome.toSeq,
    recovered: outcome.recovered,
    ...(outcome.recovered ? {} : { reason: outcome.reason }),
  };
}
