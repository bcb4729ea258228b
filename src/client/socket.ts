// One user socket (`/ws/chat/`, docs/realtime.md) that stays connected: jittered exponential backoff after
// any drop, the token in the `bearer` subprotocol (never in the URL), a ping keepalive (browsers cannot
// send WebSocket pings), every subscribed room resumed from its last seq after a reconnect, and feed frames
// it already saw dropped, so a listener sees each feed frame once and in order.

import { CLOSE } from '../contract/closeCodes.ts';
import type { ClientFrame, FeedFrame, ServerFrame } from '../contract/frames.ts';

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'waiting'; attempt: number; retryInMs: number; closeCode: number }
  | { status: 'signed_out'; code: string }
  | { status: 'closed' };

export type Backoff = { initialMs: number; maxMs: number };
export type SocketOptions = {
  /** the service's origin (`http://host:8000`); ws/wss follows from it */
  baseUrl: string;
  token: () => string | Promise<string>;
  /** a fresh token after the service refused or expired the current one; null: signed out */
  refreshToken?: () => Promise<string | null>;
  backoff?: Partial<Backoff>;
  /** keepalive period; the socket is given up as dead after two periods without any frame */
  pingIntervalMs?: number;
};

export type SocketEvents = {
  frame: (frame: ServerFrame) => void;
  state: (state: ConnectionState) => void;
  /** the server could not replay what this room missed (`recovered: false`): reload it over REST */
  resync: (roomId: string, reason: string) => void;
};

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 15_000 };

/** Full jitter: reconnect storms after a server restart spread out instead of arriving together. */
export function backoffDelay(attempt: number, backoff: Backoff, random = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class ChatSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private refreshBeforeConnect = false;
  /** room id → the last feed seq delivered to listeners (the resume point) */
  private readonly lastSeq = new Map<string, number>();
  private readonly listeners: { [K in keyof SocketEvents]: Set<SocketEvents[K]> } = {
    frame: new Set(),
    state: new Set(),
    resync: new Set(),
  };
  private readonly backoff: Backoff;
  state: ConnectionState = { status: 'closed' };

  private readonly options: SocketOptions;

  constructor(options: SocketOptions) {
    this.options = options;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  on<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000);
    this.socket = null;
    this.setState({ status: 'closed' });
  }

  /** Follow a room from `lastSeq` (what the caller already has, e.g. the room list's `last_seq`). */
  subscribe(roomId: string, lastSeq: number): void {
    const known = this.lastSeq.get(roomId);
    if (known !== undefined && known >= lastSeq) return;
    const resubscribe = known !== undefined;
    this.lastSeq.set(roomId, lastSeq);
    if (resubscribe) this.send({ type: 'unsubscribe', room_id: roomId });
    this.send({ type: 'subscribe', room_id: roomId, last_seq: lastSeq });
  }

  unsubscribe(roomId: string): void {
    if (!this.lastSeq.delete(roomId)) return;
    this.send({ type: 'unsubscribe', room_id: roomId });
  }

  /** the last feed seq seen in a room (undefined: not subscribed) */
  seqOf(roomId: string): number | undefined {
    return this.lastSeq.get(roomId);
  }

  /** Sends a frame if the socket is open; returns whether it went out (ephemeral frames may be lost). */
  send(frame: ClientFrame): boolean {
    if (this.state.status !== 'open' || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.setState({ status: 'connecting', attempt: this.attempt });
    let token: string | null;
    try {
      token = this.refreshBeforeConnect
        ? ((await this.options.refreshToken?.()) ?? null)
        : await this.options.token();
    } catch {
      token = null;
    }
    this.refreshBeforeConnect = false;
    if (this.stopped) return;
    if (!token) {
      this.setState({ status: 'signed_out', code: 'token_refresh_failed' });
      return;
    }
    const url = `${this.options.baseUrl.replace(/^http/, 'ws')}/ws/chat/`;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, ['bearer', token]);
    } catch {
      this.retryLater(1006);
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      this.receive(JSON.parse(String(event.data)) as ServerFrame);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.clearTimers();
      this.onClose(event.code, event.reason);
    };
    socket.onerror = () => {
      // followed by close: handled there
    };
  }

  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'connection_established':
        this.attempt = 0;
        this.setState({ status: 'open' });
        this.startKeepalive();
        for (const [roomId, seq] of this.lastSeq)
          this.send({ type: 'subscribe', room_id: roomId, last_seq: seq });
        break;
      case 'subscribed':
        if (frame.recovered === false) {
          // live delivery starts after to_seq: the gap is the caller's to reload over REST
          this.lastSeq.set(frame.room_id, frame.last_seq);
          for (const listener of this.listeners.resync) listener(frame.room_id, frame.reason ?? 'unknown');
        }
        break;
      case 'unsubscribed':
        this.lastSeq.delete(frame.room_id);
        break;
      case 'pong':
        return;
      default:
        if ('seq' in frame && !this.isNew(frame)) return;
    }
    for (const listener of this.listeners.frame) listener(frame);
  }

  /** A feed frame moves its room's cursor; one at or before the cursor was delivered already. */
  private isNew(frame: FeedFrame): boolean {
    const known = this.lastSeq.get(frame.room_id);
    if (known === undefined) return true;
    if (frame.seq <= known) return false;
    this.lastSeq.set(frame.room_id, frame.seq);
    return true;
  }

  private onClose(code: number, reason: string): void {
    if (this.stopped) return;
    if (code === CLOSE.authFailed || code === CLOSE.tokenExpired) {
      if (!this.options.refreshToken) {
        this.setState({ status: 'signed_out', code: reason || 'token_invalid' });
        return;
      }
      this.refreshBeforeConnect = true;
    }
    this.retryLater(code);
  }

  private retryLater(closeCode: number): void {
    const retryInMs = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.setState({ status: 'waiting', attempt: this.attempt, retryInMs, closeCode });
    this.timer = setTimeout(() => void this.open(), retryInMs);
  }

  /** Reconnect now (the network came back, the page became visible) instead of waiting out the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.state.status !== 'waiting') return;
    this.clearTimers();
    void this.open();
  }

  private startKeepalive(): void {
    const period = this.options.pingIntervalMs ?? 25_000;
    this.lastFrameAt = Date.now();
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * period) {
        // a dead connection may take minutes to report its close: give it up now
        const dead = this.socket;
        this.socket = null;
        this.clearTimers();
        dead?.close();
        this.onClose(1006, 'no frames');
        return;
      }
      this.send({ type: 'ping' });
    }, period);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.keepalive) clearInterval(this.keepalive);
    this.timer = null;
    this.keepalive = null;
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners.state) listener(state);
  }
}
