// Frames built once and written to many sockets (textFrame + sendPrepared) arrive at a real ws client as the
// text they carry, at every length encoding of RFC 6455 and in the order they were sent, mixed with frames
// ws built itself; a socket that cannot keep up is closed, not buffered without end.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type ClientSocket, textFrame, wrapSocket } from './clientSocket.ts';

async function pair(maxBufferedBytes = 1024 * 1024) {
  const server = new WebSocketServer({ port: 0 });
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data) => received.push(data.toString()));
  const [ws] = await accepted;
  const socket: ClientSocket = wrapSocket(ws, maxBufferedBytes);
  const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
  return {
    socket,
    received,
    closed,
    async until(count: number) {
      while (received.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async stop() {
      client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('prepared frames', () => {
  it('carry their text at every length encoding, in order with frames ws builds', async () => {
    const { socket, received, until, stop } = await pair();
    try {
      // 7-bit, 16-bit and 64-bit lengths, each at its edges; multi-byte characters count in bytes
      const texts = [0, 1, 125, 126, 65_535, 65_536, 70_000].map((n) => 'x'.repeat(n));
      texts.push('Überschwemmung im Keller – bitte sofort 🚰');
      for (const text of texts) socket.sendPrepared(textFrame(Buffer.from(text)));
      socket.sendText('built by ws');
      socket.sendPrepared(textFrame(Buffer.from('after it')));
      await until(texts.length + 2);
      expect(received).toEqual([...texts, 'built by ws', 'after it']);
    } finally {
      await stop();
    }
  });

  it('closes a socket whose unsent frames pass the limit (4009)', async () => {
    const { socket, closed, stop } = await pair(64 * 1024);
    try {
      const frame = textFrame(Buffer.alloc(32 * 1024, 'y'));
      // written in one turn the frames wait in the (corked) buffer: the third finds it over the limit
      for (let i = 0; i < 4; i++) socket.sendPrepared(frame);
      expect(await closed).toBe(4009);
    } finally {
      await stop();
    }
  });
});
