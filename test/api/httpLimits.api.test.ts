// Slow and greedy clients, over raw TCP against a listening app: every wait of the HTTP server has a
// deadline (the whole request, its headers, an idle connection, keep-alive), a body still arriving when the
// answer goes out does not keep its connection, and one address cannot hold more than a few connections
// that never authenticate, WebSocket handshakes included.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { mintToken } from '../support/tokens.ts';
import { firstAnswer, openRaw, type RawConnection } from './support/rawClient.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

/** How long a test waits for the server to act on a deadline of a second or so. */
const GIVE_UP_MS = 15_000;
const MAX_UNAUTHENTICATED = 5;

let strict: TestApp;
let strictPort: number;
let lenient: TestApp;
let lenientPort: number;
const logLines: string[] = [];
const open: RawConnection[] = [];

async function listen(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return (t.app.server.address() as { port: number }).port;
}

beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  strict = await startTestApp(
    'http_limits',
    {
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_IDLE_TIMEOUT_MS: '1000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_REQUESTS_PER_SOCKET: '3',
      HTTP_MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP: String(MAX_UNAUTHENTICATED),
      LOG_LEVEL: 'info',
    },
    { logger: { stream } },
    { projector: false },
  );
  strictPort = await listen(strict);
  // the defaults: a request may take a minute, so only the early close can end the connection below
  lenient = await startTestApp('http_limits_defaults', {}, {}, { projector: false });
  lenientPort = await listen(lenient);
});
afterEach(async () => {
  for (const connection of open.splice(0)) connection.destroy();
  // the next test starts with no connection of this one still counted by the server
  for (let waited = 0; waited < 5_000; waited += 20) {
    const count = await new Promise<number>((resolve, reject) =>
      strict.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    if (count === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
afterAll(async () => {
  await strict?.stop();
  await lenient?.stop();
});

async function raw(port = strictPort) {
  const connection = await openRaw(port);
  open.push(connection);
  return connection;
}

const bearer = async () => `Bearer ${await mintToken(randomUUID())}`;

describe('deadlines', () => {
  it('ends a request whose body is dripped a byte at a time: 408, problem+json, closed', async () => {
    const connection = await raw();
    connection.socket.write(
      `POST /api/chat/rooms/ HTTP/1.1\r\nHost: chat\r\nAuthorization: ${await bearer()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    connection.drip(' '.repeat(1000), 300); // would take five minutes; each byte resets the idle timer
    await connection.closed(GIVE_UP_MS);
    const answer = firstAnswer(connection.received());
    expect(answer).toMatchObject({ status: 408, body: { code: 'request_timeout', status: 408 } });
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.headers).toContain('x-content-type-options: nosniff');
    expect(
      logLines.some((line) => line.includes('"code":"request_timeout"') && line.includes('"level":30')),
    ).toBe(true);
  });

  it('ends a request whose headers never finish', async () => {
    const connection = await raw();
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: chat\r\n');
    connection.drip('X-Padding: a\r\n'.repeat(100), 300);
    await connection.closed(GIVE_UP_MS);
    expect(firstAnswer(connection.received())).toMatchObject({
      status: 408,
      body: { code: 'request_timeout' },
    });
  });

  it('closes a connection that never sends a request', async () => {
    const connection = await raw();
    await connection.closed(GIVE_UP_MS);
    expect(connection.received()).toBe('');
  });

  it('closes an idle keep-alive connection, and a connection after its last allowed request', async () => {
    const idle = await raw();
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n');
    await idle.closed(GIVE_UP_MS);
    expect(firstAnswer(idle.received()).status).toBe(200);

    const busy = await raw();
    busy.socket.write('GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n'.repeat(5));
    await busy.closed(GIVE_UP_MS);
    const answers = busy.received().match(/HTTP\/1\.1 200/g) ?? [];
    expect(answers).toHaveLength(3);
    expect(busy.received().toLowerCase()).toContain('connection: close');
  });
});

describe('an open WebSocket', () => {
  it('outlives every HTTP deadline: they are for the request that upgrades it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${strictPort}/ws/chat/?token=${await mintToken(randomUUID())}`);
    await once(ws, 'message'); // connection_established
    // longer than the request (1.5 s), idle (1 s) and keep-alive (1 s) deadlines of this app
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    ws.send(JSON.stringify({ type: 'ping' }));
    const [pong] = (await once(ws, 'message')) as [Buffer];
    expect(JSON.parse(pong.toString())).toEqual({ type: 'pong' });
    ws.terminate();
    await once(ws, 'close');
  });
});

describe('answers the server writes before any route', () => {
  it.each([
    ['not HTTP', 'HELLO THERE\r\n\r\n', 400, 'malformed_request'],
    [
      'headers over the limit',
      `GET /healthz HTTP/1.1\r\nHost: chat\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
  ])('%s: problem+json, nosniff, closed', async (_case, request, status, code) => {
    const connection = await raw();
    connection.socket.write(request);
    await connection.closed(GIVE_UP_MS);
    const answer = firstAnswer(connection.received());
    expect(answer).toMatchObject({ status, body: { status, code } });
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.headers).toContain('x-content-type-options: nosniff');
  });
});

describe('an answer before the body arrived', () => {
  it('closes the connection with its 401 instead of reading the rest of a dripped body', async () => {
    const connection = await raw(lenientPort);
    connection.socket.write(
      'POST /api/chat/rooms/ HTTP/1.1\r\nHost: chat\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n',
    );
    connection.drip(' '.repeat(1000), 300);
    await connection.closed(GIVE_UP_MS);
    const answer = firstAnswer(connection.received());
    expect(answer).toMatchObject({ status: 401, body: { code: 'token_missing' } });
    expect(answer.headers).toContain('connection: close');
  });
});

describe('connections that do not authenticate, per address', () => {
  async function upgrade(path: string): Promise<{ status: number; ws: WebSocket }> {
    const ws = new WebSocket(`ws://127.0.0.1:${strictPort}${path}`);
    ws.on('error', () => {});
    const outcome = await Promise.race([
      once(ws, 'open').then(() => 101),
      once(ws, 'unexpected-response').then(([, response]) => (response as { statusCode: number }).statusCode),
    ]);
    return { status: outcome, ws };
  }

  it('answers 429 to the next one once the cap is full, before reading it', async () => {
    const silent = await Promise.all(Array.from({ length: MAX_UNAUTHENTICATED }, () => raw()));
    const refused = await raw();
    await refused.closed(GIVE_UP_MS);
    const answer = firstAnswer(refused.received());
    expect(answer).toMatchObject({ status: 429, body: { code: 'too_many_connections' } });
    expect(answer.headers).toContain('retry-after: 5');

    // a connection that goes away frees its place
    silent[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await raw();
    next.socket.write('GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n');
    while (!next.received().includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(firstAnswer(next.received()).status).toBe(200);
  });

  it('counts a socket waiting for its authenticate frame, and refuses the next upgrade with 429', async () => {
    const waiting = await Promise.all(
      Array.from({ length: MAX_UNAUTHENTICATED }, () => upgrade('/ws/chat/')),
    );
    expect(waiting.map((socket) => socket.status)).toEqual(Array(MAX_UNAUTHENTICATED).fill(101));
    const refused = await upgrade('/ws/chat/');
    expect(refused.status).toBe(429);
    for (const socket of waiting) socket.ws.terminate();
    for (const socket of waiting)
      if (socket.ws.readyState !== WebSocket.CLOSED) await once(socket.ws, 'close');
  });

  it('does not count connections once they authenticated (REST or WebSocket)', async () => {
    // one after another, each authenticated before the next opens: twice the cap, all accepted
    const token = await mintToken(randomUUID());
    const sockets: WebSocket[] = [];
    const answers: number[] = [];
    for (let i = 0; i < MAX_UNAUTHENTICATED * 2; i++) {
      const socket = await upgrade(`/ws/chat/?token=${token}`);
      expect(socket.status).toBe(101);
      await once(socket.ws, 'message'); // connection_established: authenticated
      sockets.push(socket.ws);
      const connection = await raw();
      connection.socket.write(
        `GET /api/chat/attachments/${randomUUID()}/ HTTP/1.1\r\nHost: chat\r\nAuthorization: ${await bearer()}\r\n\r\n`,
      );
      while (!connection.received().includes('\r\n\r\n'))
        await new Promise((resolve) => setTimeout(resolve, 10));
      answers.push(firstAnswer(connection.received()).status);
    }
    // 404: the token was accepted, and there is no such attachment
    expect(answers).toEqual(Array(MAX_UNAUTHENTICATED * 2).fill(404));
    for (const ws of sockets) ws.terminate();
    for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) await once(ws, 'close');
  });
});
