// One connected WebSocket with the server's guard rails: a bounded send buffer (a slow consumer is closed,
// not allowed to grow memory), a liveness flag for the heartbeat, and a close that happens once.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { CLOSE } from '../contract/closeCodes.ts';
import type { ServerFrame } from '../contract/frames.ts';
import { framesSent } from '../metrics/metrics.ts';
import { type ErrorFrameDetails, errorFrame } from './protocol.ts';

export type ClientSocket = {
  readonly ws: WebSocket;
  isOpen(): boolean;
  /** this side closed it (shutdown, revocation, a slow consumer): not the client's own close or a drop */
  closedByServer(): boolean;
  /** sends a serialized frame, or closes with 4009 when the buffer is full */
  sendText(text: string): void;
  /** sends a WebSocket frame built once for many sockets (textFrame), or closes with 4009 likewise */
  sendPrepared(frame: Buffer): void;
  send(frame: ServerFrame): void;
  sendError(code: string, message: string, extra?: ErrorFrameDetails): void;
  close(code: number, reason: string): void;
  /** heartbeat: false once a ping went unanswered for a whole interval */
  alive: boolean;
};

/** ws keeps its TCP socket in `_socket` (stable since ws 1.x); the public API has no cork. */
type WithTcpSocket = { _socket?: Socket | null };

/**
 * Sockets holding frames back (corked), in the order they were first written to. Frames sent to one socket
 * before it is flushed (a projector batch often holds several for a room) leave in one write instead of a
 * syscall each. Flushing is a write per socket, and in a big room a thousand sockets wait at once: they are
 * flushed a slice at a time, a few milliseconds per turn of the event loop, so that the turn does not grow
 * with the room and the I/O behind it (commands, acks, the next deliveries) waits only for a slice.
 */
const toFlush: { flush(): void }[] = [];
let flushScheduled = false;
const FLUSH_SLICE_MS = 2;

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushSlice);
}

function flushSlice(): void {
  flushScheduled = false;
  const until = performance.now() + FLUSH_SLICE_MS;
  let flushed = 0;
  while (flushed < toFlush.length) {
    toFlush[flushed++]!.flush();
    if (flushed % 32 === 0 && performance.now() > until) break;
  }
  toFlush.splice(0, flushed);
  if (toFlush.length > 0) scheduleFlush();
}

/**
 * A final, unmasked WebSocket text frame around `payload` (RFC 6455, section 5.2: a server's frames are not
 * masked), built once and written as it is to every socket it goes to: in a big room a thousand sockets
 * get the same frame, and framing it once per socket (ws.send) was a good part of the delivery's cost.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header);
  return frame;
}

/**
 * A class, not an object of closures: every idle socket held a dozen closures and their contexts; the
 * methods are shared, and what a socket holds of its own is these fields and its ws listener.
 */
class GuardedSocket implements ClientSocket {
  readonly ws: WebSocket;
  alive = true;
  /** close() was called: the socket takes no more frames while its close handshake runs */
  private closing = false;
  /** the TCP socket while it holds this turn's frames back (until the next flush) */
  private corked: Socket | undefined;
  private readonly maxBufferedBytes: number;
  private readonly onErrorFrame: ((code: string, message: string) => void) | undefined;

  constructor(
    ws: WebSocket,
    maxBufferedBytes: number,
    onErrorFrame: ((code: string, message: string) => void) | undefined,
  ) {
    this.ws = ws;
    this.maxBufferedBytes = maxBufferedBytes;
    this.onErrorFrame = onErrorFrame;
    // one listener: once ws has closed, readyState says so (isOpen needs no 'close' listener of its own)
    ws.on('pong', () => {
      this.alive = true;
    });
  }

  isOpen(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  closedByServer(): boolean {
    return this.closing;
  }

  sendText(text: string): void {
    if (!this.mayWrite()) return;
    this.coalesce();
    framesSent.inc();
    this.ws.send(text, { binary: false });
  }

  sendPrepared(frame: Buffer): void {
    const tcp = (this.ws as unknown as WithTcpSocket)._socket;
    if (!tcp || !this.mayWrite()) return;
    this.coalesce();
    framesSent.inc();
    // the frame is complete: ws would only frame it again (nothing of ours is compressed or queued in
    // ws's sender, so writing beside it keeps the order); buffered bytes count in ws.bufferedAmount
    tcp.write(frame);
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendError(code: string, message: string, extra?: ErrorFrameDetails): void {
    this.onErrorFrame?.(code, message);
    this.send(errorFrame(code, message, extra));
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    const ws = this.ws;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  }

  /** ends this turn's holding back (called from flushSlice) */
  flush(): void {
    const tcp = this.corked;
    this.corked = undefined;
    tcp?.uncork();
  }

  private coalesce(): void {
    const tcp = (this.ws as unknown as WithTcpSocket)._socket;
    if (this.corked || !tcp) return;
    this.corked = tcp;
    tcp.cork();
    toFlush.push(this);
    scheduleFlush();
  }

  /** open, and not a slow consumer (which it closes) */
  private mayWrite(): boolean {
    if (!this.isOpen()) return false;
    if (this.ws.bufferedAmount <= this.maxBufferedBytes) return true;
    this.close(CLOSE.slowConsumer, 'slow consumer: send buffer full');
    return false;
  }
}

export function wrapSocket(
  ws: WebSocket,
  maxBufferedBytes: number,
  /** told of every error frame sent (the connection's log) */
  onErrorFrame?: (code: string, message: string) => void,
): ClientSocket {
  return new GuardedSocket(ws, maxBufferedBytes, onErrorFrame);
}
