// Everything a client can get wrong or abuse: bad frames (error frame with a stable code, connection kept),
// auth failures (documented close code before any room data), origin allow-list, frame size, rate limit,
// sockets per user, slow consumers, dead connections, expiring tokens.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { migrate } from '../../src/db/migrate.ts';
import { encodeWire, roomChannel } from '../../src/realtime/feedWire.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { mintToken, unsignedToken } from '../support/tokens.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';
import { openSocket, type TestSocket } from './support/testSocket.ts';

const ALLOWED_ORIGIN = 'https://app.example';
const prefix = testRedisPrefix('rt_hardening');
let database: TestDatabase;
let node: ChatNode;
const alice = randomUUID();
let roomId: string;
const sockets: TestSocket[] = [];

function open(path: string, options: Parameters<typeof openSocket>[1] = {}) {
  const socket = openSocket(`${node.wsBase}${path}`, options);
  sockets.push(socket);
  return socket;
}

async function connected(userId = alice, query = '') {
  const socket = open(`/ws/chat/${roomId}/?token=${await mintToken(userId)}${query}`);
  await socket.next('connection_established');
  return socket;
}

beforeAll(async () => {
  database = await createTestDatabase('realtime_hardening');
  await migrate(database.url);
  node = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: prefix,
    env: { CHAT_ALLOWED_ORIGINS: ALLOWED_ORIGIN },
    limits: {
      authTimeoutMs: 300,
      maxSocketsPerUser: 3,
      rate: { ratePerSecond: 5, burst: 8 },
      heartbeatMs: 60_000,
      maxBufferedBytes: 64 * 1024,
    },
  });
  roomId = await node.groupRoom(alice, [], 'hardening');
});

afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  await node?.stop();
  await database?.drop();
});

describe('bad frames get an error frame and the connection survives', () => {
  it.each([
    ['not JSON', 'hello', { code: 'invalid_json' }],
    ['an unknown type', '{"type":"shout","message":"hi"}', { code: 'unknown_type' }],
    ['a missing field', '{"type":"read_receipt"}', { code: 'invalid_frame', field: 'message_id' }],
    [
      'a wrong type of field',
      '{"type":"typing","is_typing":"yes"}',
      { code: 'invalid_frame', field: 'is_typing' },
    ],
    [
      'an object where an id belongs',
      '{"type":"read_receipt","message_id":{"$gt":""}}',
      { code: 'invalid_frame' },
    ],
    [
      'subscribe on a room socket',
      `{"type":"subscribe","room_id":"${randomUUID()}"}`,
      { code: 'invalid_frame' },
    ],
    ['a second authenticate', '{"type":"authenticate","token":"x"}', { code: 'already_authenticated' }],
    [
      'a message that is too long',
      JSON.stringify({ type: 'chat_message', message: 'x'.repeat(4001) }),
      { code: 'message_too_long' },
    ],
    ['an empty message', '{"type":"chat_message","message":"   "}', { code: 'content_required' }],
    [
      'a NUL in a message (the client_id comes back)',
      '{"type":"chat_message","message":"a\\u0000b","client_id":"c-nul"}',
      { code: 'invalid_text', field: 'message', client_id: 'c-nul' },
    ],
    [
      'a lone surrogate in a message',
      '{"type":"chat_message","message":"broken \\ud83d"}',
      { code: 'invalid_text', field: 'message' },
    ],
    [
      'a terminal escape sequence in a message',
      '{"type":"chat_message","message":"\\u001b[2J"}',
      { code: 'invalid_text', field: 'message' },
    ],
    [
      'a bidi override in a client_id',
      '{"type":"chat_message","message":"hi","client_id":"c\\u202e1"}',
      { code: 'invalid_text', field: 'client_id' },
    ],
  ])('%s', async (_name, text, expected) => {
    const socket = await connected();
    socket.sendRaw(text);
    expect(await socket.next('error')).toMatchObject(expected);
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
  });

  it('a binary frame', async () => {
    const socket = await connected();
    socket.sendRaw(Buffer.from('{"type":"ping"}'));
    expect(await socket.next('error')).toMatchObject({ code: 'invalid_frame' });
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
  });

  it('too many frames per second: rate_limited, nothing over the limit is handled', async () => {
    const socket = await connected();
    for (let i = 0; i < 12; i++) socket.send({ type: 'ping' });
    await socket.next('error');
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the bucket refill
    socket.send({ type: 'ping' });
    await socket.next(
      (frame) => frame.type === 'pong' && socket.frames.filter((f) => f.type === 'pong').length > 8,
    );
    const errors = socket.frames.filter((frame) => frame.type === 'error');
    expect(errors.every((frame) => frame.code === 'rate_limited')).toBe(true);
    expect(socket.frames.filter((frame) => frame.type === 'pong')).toHaveLength(13 - errors.length);
    await socket.close();
  });
});

describe('fatal frames close with a documented code', () => {
  it('a frame larger than the limit closes with 1009', async () => {
    const socket = await connected();
    socket.sendRaw(JSON.stringify({ type: 'chat_message', message: 'x'.repeat(70 * 1024) }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('1009 reaches the client even while the server is writing to its socket', async () => {
    // the acks and broadcasts of these sends are in flight when the frame arrives: the close frame must
    // not be dropped with them (the socket was terminated at once, and the client saw 1006)
    const codes: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const socket = await connected();
      for (let n = 0; n < 6; n++) socket.send({ type: 'chat_message', message: `busy ${n}` });
      await new Promise((resolve) => setTimeout(resolve, 5));
      socket.sendRaw(JSON.stringify({ type: 'chat_message', message: 'x'.repeat(70 * 1024) }));
      codes.push((await socket.closed).code);
    }
    expect(codes).toEqual(Array(8).fill(1009));
  });

  it('invalid UTF-8 closes with 1007', async () => {
    const socket = await connected();
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await socket.closed).code).toBe(1007);
  });

  it('a message in more than 16,384 fragments closes with 1008 (small as it is)', async () => {
    const socket = await connected();
    for (let i = 0; i <= 16 * 1024; i++) socket.ws.send(' ', { binary: false, fin: false });
    expect((await socket.closed).code).toBe(1008);
  });
});

describe('authentication and authorization', () => {
  it.each([
    ['a garbage token', async () => 'not-a-jwt', 'token_invalid'],
    ['an expired token', async () => mintToken(alice, { expiresIn: -120 }), 'token_expired'],
    ['a token without exp', async () => mintToken(alice, { expiresIn: null }), 'token_claims_invalid'],
    [
      'an alg:none token',
      async () => unsignedToken({ sub: alice, exp: 9999999999 }),
      'token_algorithm_not_allowed',
    ],
    [
      'a refresh token',
      async () => mintToken(alice, { claims: { token_type: 'refresh' } }),
      'token_wrong_type',
    ],
  ])('%s closes with 4001 before any data', async (_name, token, reason) => {
    const socket = open(`/ws/chat/${roomId}/?token=${await token()}`);
    expect(await socket.closed).toEqual({ code: 4001, reason });
    expect(socket.frames).toEqual([]);
  });

  it('no token and no authenticate frame: 4002 at the deadline', async () => {
    const socket = open(`/ws/chat/${roomId}/`);
    expect((await socket.closed).code).toBe(4002);
    expect(socket.frames).toEqual([]);
  });

  it('another frame before authenticate: 4001', async () => {
    const socket = open(`/ws/chat/${roomId}/`);
    socket.send({ type: 'chat_message', message: 'hi' });
    expect((await socket.closed).code).toBe(4001);
  });

  it('accepts the token in an authenticate frame or the bearer subprotocol', async () => {
    const byFrame = open(`/ws/chat/${roomId}/`);
    byFrame.send({ type: 'authenticate', token: await mintToken(alice) });
    await byFrame.next('connection_established');
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the 300 ms authentication deadline
    byFrame.send({ type: 'ping' });
    await byFrame.next('pong');
    const byProtocol = open(`/ws/chat/${roomId}/`, { protocols: ['bearer', await mintToken(alice)] });
    await byProtocol.next('connection_established');
    expect(byProtocol.ws.protocol).toBe('bearer');
    await Promise.all([byFrame.close(), byProtocol.close()]);
  });

  it('closes with 4008 when the token expires while connected', async () => {
    const token = await mintToken(alice, { expiresIn: 2 });
    const socket = open(`/ws/chat/${roomId}/?token=${token}`);
    await socket.next('connection_established');
    expect(await socket.closed).toEqual({ code: 4008, reason: 'token expired' });
  });

  it('refuses an origin outside the allow-list with 403 before the upgrade', async () => {
    const token = await mintToken(alice);
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${node.wsBase}/ws/chat/${roomId}/?token=${token}`, { origin });
        ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => {});
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status(ALLOWED_ORIGIN)).toBe(101);
    // the list is exact: no other scheme, port or subdomain, and the service's own origin only when listed
    expect(await status(ALLOWED_ORIGIN.replace('https:', 'http:'))).toBe(403);
    expect(await status(`${ALLOWED_ORIGIN}:8443`)).toBe(403);
    expect(await status(ALLOWED_ORIGIN.replace('://', '://www.'))).toBe(403);
    expect(await status(node.wsBase.replace('ws:', 'http:'))).toBe(403);
  });

  it('caps the sockets per user (4029)', async () => {
    const user = randomUUID();
    const token = await mintToken(user);
    const userSockets = [1, 2, 3].map(() => open(`/ws/chat/?token=${token}`));
    await Promise.all(userSockets.map((socket) => socket.next('connection_established')));
    const oneTooMany = open(`/ws/chat/?token=${token}`);
    expect((await oneTooMany.closed).code).toBe(4029);
    await userSockets[0]!.close();
    const again = open(`/ws/chat/?token=${token}`);
    await again.next('connection_established');
    await Promise.all([...userSockets.slice(1), again].map((socket) => socket.close()));
  });
});

describe('connection health', () => {
  it('disconnects a slow consumer (4009) instead of buffering without limit', async () => {
    const slow = await connected();
    const healthy = await connected();
    const underlying = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    underlying.pause(); // stops reading: the server's send buffer for it fills up

    const big = JSON.stringify({
      type: 'typing',
      room_id: roomId,
      user_id: 'load',
      username: 'x'.repeat(60_000), // a large frame, still one the contract describes
      is_typing: true,
    });
    const wire = encodeWire({ seq: 0, type: 'typing', subject: 'load', revokes: false, frameText: big });
    // paced by the healthy client: it keeps up, only the paused one falls behind
    for (let i = 1; i <= 200; i++) {
      await node.app.redis.publish(roomChannel(prefix, roomId), wire);
      await healthy.next('typing');
      if (slow.ws.readyState !== slow.ws.OPEN) break;
    }

    underlying.resume();
    expect((await slow.closed).code).toBe(4009);
    healthy.send({ type: 'ping' });
    await healthy.next('pong');
    await healthy.close();
  });

  it('drops a connection that stops answering pings, keeps one that answers', async () => {
    const pinging = await startChatNode({
      databaseUrl: database.url,
      redisPrefix: prefix,
      limits: { heartbeatMs: 200 },
    });
    try {
      const token = await mintToken(alice);
      const url = `${pinging.wsBase}/ws/chat/${roomId}/?token=${token}`;
      const dead = openSocket(url, { autoPong: false });
      const alive = openSocket(url);
      sockets.push(dead, alive);
      await Promise.all([dead.next('connection_established'), alive.next('connection_established')]);
      expect((await dead.closed).code).toBe(1006); // terminated, no close frame
      alive.send({ type: 'ping' });
      await alive.next('pong');
      await alive.close();
    } finally {
      await pinging.stop();
    }
  });
});
