// Failing dependencies, through TCP proxies the test cuts and restores (the shared PostgreSQL and Redis are
// never touched). PostgreSQL away: REST answers 503 `unavailable` with Retry-After, a socket gets an
// `unavailable` error frame and stays open, nothing is acknowledged, and service resumes on its own. Redis
// away or hanging: REST reads and writes go on, what needs Redis says so (typing, a socket's fan-out).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, type TestSocket } from '../realtime/support/testSocket.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.ts';
import { mintToken } from '../support/tokens.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let database: TcpProxy;
let redis: TcpProxy;
let t: TestApp;
let base: string;
let roomId: string;
const alice = randomUUID();
const bob = randomUUID();
const lines: { level: number; msg: string }[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  database = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  redis = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  t = await startTestApp(
    'outages',
    { LOG_LEVEL: 'warn' },
    { logger: { stream } },
    { through: { database, redis } },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const created = await call(alice, 'POST', '/api/chat/rooms/', {
    room_type: 'group',
    name: 'outages',
    participant_ids: [bob],
  });
  roomId = created.body.id;
});
afterEach(async () => {
  await database.restore();
  await redis.restore();
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});
afterAll(async () => {
  await t?.stop();
  await database?.close();
  await redis?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
async function call(user: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`http://${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${await mintToken(user)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function roomSocket(user: string) {
  const socket = openSocket(`ws://${base}/ws/chat/${roomId}/?token=${await mintToken(user)}`);
  sockets.push(socket);
  await socket.next('connection_established');
  return socket;
}

async function messages(): Promise<string[]> {
  const answer = await call(alice, 'GET', `/api/chat/rooms/${roomId}/messages/?limit=100`);
  expect(answer.status).toBe(200);
  return answer.body.results.map((message: { content: string }) => message.content);
}

describe('PostgreSQL away', () => {
  it('REST answers 503 unavailable with Retry-After, reads and writes alike, and logs no stack', async () => {
    await database.cut();
    lines.length = 0;
    const write = await call(alice, 'POST', `/api/chat/rooms/${roomId}/messages/`, {
      content: 'while the database is away',
      client_id: 'rest-while-down',
    });
    const read = await call(alice, 'GET', `/api/chat/rooms/${roomId}/messages/`);
    for (const answer of [write, read]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.body).toMatchObject({ status: 503, code: 'unavailable' });
    }
    const requestLines = lines.filter((line) => (line as { reqId?: string }).reqId);
    expect(requestLines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'a service we depend on is unavailable'],
      [40, 'a service we depend on is unavailable'],
    ]);
    expect(JSON.stringify(requestLines)).not.toContain('    at ');
  });

  it('a socket gets an unavailable error frame and stays open; nothing is acknowledged', async () => {
    const socket = await roomSocket(alice);
    await database.cut();
    socket.send({ type: 'chat_message', message: 'sent while away', client_id: 'ws-while-down' });
    expect(await socket.next('error')).toMatchObject({ code: 'unavailable', client_id: 'ws-while-down' });
    socket.send({ type: 'ping' });
    await socket.next('pong');
    expect(socket.frames.some((frame) => frame.type === 'message_ack')).toBe(false);

    await database.restore();
    expect(await messages()).not.toContain('sent while away');
    expect(await messages()).not.toContain('while the database is away');
  });

  it('resumes on its own once the database is back: REST, the socket, the projector', async () => {
    const listener = await roomSocket(bob);
    await database.cut();
    expect((await call(alice, 'GET', `/api/chat/rooms/${roomId}/`)).status).toBe(503);
    await database.restore();
    const sent = await call(alice, 'POST', `/api/chat/rooms/${roomId}/messages/`, { content: 'back again' });
    expect(sent.status).toBe(201);
    const delivered = await listener.next('chat_message');
    expect(delivered).toMatchObject({ message: { content: 'back again' } });
    expect(await messages()).toContain('back again');
  });
});

describe('Redis away', () => {
  it('REST reads and writes go on (the projector does not wait on Redis)', async () => {
    await redis.cut();
    const created = await call(alice, 'POST', '/api/chat/rooms/', { room_type: 'group', name: 'no redis' });
    // 201 with the projected room, not 202: the projector kept projecting
    expect(created.status).toBe(201);
    const sent = await call(alice, 'POST', `/api/chat/rooms/${roomId}/messages/`, { content: 'no redis' });
    expect(sent.status).toBe(201);
    const read = await call(
      alice,
      'GET',
      `/api/chat/rooms/${roomId}/messages/?wait_for=${sent.body.position}`,
    );
    expect(read.body.results.map((message: { content: string }) => message.content)).toContain('no redis');
  });

  it('closes the sockets whose fan-out it lost with 1012, and refuses new ones with 1012 instead of hanging', async () => {
    const socket = await roomSocket(alice);
    await redis.cut();
    expect((await socket.closed).code).toBe(1012);
    const late = openSocket(`ws://${base}/ws/chat/${roomId}/?token=${await mintToken(alice)}`);
    sockets.push(late);
    expect((await late.closed).code).toBe(1012);
  });

  it('while Redis hangs: REST writes are projected, typing says unavailable, messages are still sent', async () => {
    const socket = await roomSocket(alice);
    redis.stall();
    const created = await call(alice, 'POST', '/api/chat/rooms/', { room_type: 'group', name: 'hung redis' });
    expect(created.status).toBe(201);

    socket.send({ type: 'typing', is_typing: true });
    expect(await socket.next('error')).toMatchObject({ code: 'unavailable' });
    socket.send({ type: 'chat_message', message: 'typed while Redis hangs', client_id: 'hung-1' });
    expect(await socket.next('message_ack')).toMatchObject({ client_id: 'hung-1' });
  });
});
