// A real `ws` client that records every frame, for tests that read a conversation in order. Every frame
// it reads is checked against the wire contract (src/contract/frames.ts) and against the AsyncAPI
// document generated from it, as a message of the socket it came on: a frame either does not describe
// fails the test that reads it.
import { type ClientOptions, WebSocket } from 'ws';
import { parseServerFrame } from '../../../src/contract/frames.ts';
import { asyncApiViolation, socketKindOf } from './asyncApiConformance.ts';

export type Frame = { type: string } & Record<string, unknown>;
export type Closed = { code: number; reason: string };

export type TestSocket = {
  ws: WebSocket;
  /** every frame received so far, in order */
  frames: Frame[];
  send(frame: object): void;
  sendRaw(data: string | Buffer): void;
  /** the next frame (after the ones already taken) that matches; frames before it are skipped */
  next(match?: string | ((frame: Frame) => boolean), timeoutMs?: number): Promise<Frame>;
  /** resolves when the server closes the socket */
  closed: Promise<Closed>;
  close(): Promise<void>;
};

export function openSocket(url: string, options: ClientOptions & { protocols?: string[] } = {}): TestSocket {
  const { protocols, ...clientOptions } = options;
  const ws = new WebSocket(url, protocols, clientOptions);
  const kind = socketKindOf(url);
  const frames: Frame[] = [];
  let taken = 0;
  const received = () => JSON.stringify(frames).slice(0, 1_000);
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const wake of waiters) wake();
  });
  ws.on('error', () => {}); // a refused upgrade ends in `closed` (code 1006) or `unexpected-response`
  const closed = new Promise<Closed>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    });
  });

  const socket: TestSocket = {
    ws,
    frames,
    closed,
    send: (frame) => socket.sendRaw(JSON.stringify(frame)),
    sendRaw(data) {
      if (ws.readyState === WebSocket.CONNECTING) ws.once('open', () => ws.send(data));
      else ws.send(data);
    },
    next(match, timeoutMs = 10_000) {
      const test =
        typeof match === 'string' ? (frame: Frame) => frame.type === match : (match ?? (() => true));
      return new Promise<Frame>((resolve, reject) => {
        const look = () => {
          while (taken < frames.length) {
            const frame = frames[taken++]!;
            const violation = contractViolation(frame) ?? asyncApiViolation(kind, frame);
            if (violation) {
              done();
              reject(
                new Error(
                  `frame outside the wire contract: ${JSON.stringify(frame).slice(0, 300)}: ${violation.slice(0, 500)}`,
                ),
              );
              return;
            }
            if (test(frame)) {
              done();
              resolve(frame);
              return;
            }
          }
          if (ws.readyState === WebSocket.CLOSED) {
            done();
            reject(new Error(`socket closed before the expected frame; got ${received()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${received()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(look);
        };
        waiters.add(look);
        look();
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return socket;
}

function contractViolation(frame: Frame): string | undefined {
  try {
    parseServerFrame(frame);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
