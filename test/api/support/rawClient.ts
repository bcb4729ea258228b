// A bare TCP client (node:net) for what an HTTP client library would never do: drip a body a byte at a
// time, send half a header, open a connection and say nothing.
import { connect, type Socket } from 'node:net';

export type RawConnection = {
  socket: Socket;
  /** every byte the server sent so far, as text */
  received(): string;
  /** true once the server closed the connection (or reset it) */
  isClosed(): boolean;
  /** resolves when the connection closes; rejects after `withinMs` if it is still open */
  closed(withinMs: number): Promise<void>;
  /** writes `chunks` one character every `everyMs`, until all are written or the connection closes */
  drip(chunks: string, everyMs: number): void;
  destroy(): void;
};

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      clearInterval(timer);
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => text,
    isClosed: () => closed,
    closed: (withinMs) =>
      Promise.race([
        ended,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`still open after ${withinMs} ms; received ${JSON.stringify(text)}`)),
            withinMs,
          ).unref(),
        ),
      ]),
    drip(chunks, everyMs) {
      let next = 0;
      timer = setInterval(() => {
        if (closed || next >= chunks.length) return clearInterval(timer);
        socket.write(chunks[next++]!);
      }, everyMs);
    },
    destroy() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** The status line and the JSON body of the first answer on a connection. */
export function firstAnswer(text: string): { status: number; headers: string; body: unknown } {
  const headerEnd = text.indexOf('\r\n\r\n');
  const head = text.slice(0, headerEnd);
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
  const body = text.slice(headerEnd + 4, headerEnd + 4 + length);
  return {
    status: Number(head.split(' ')[1]),
    headers: head.toLowerCase(),
    body: body ? JSON.parse(body) : undefined,
  };
}
