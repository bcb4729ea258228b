// Rate limits hold per user across nodes: two `npm start` processes on one database and one Redis, one
// user sending at three times the limit from both (REST on one, a room socket on the other) has at most
// the limit stored, every refusal is 429 / `rate_limited` with when to try again, and another user sending
// meanwhile is not refused. Socket opens count per user across both processes too.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Frame, openSocket, type TestSocket } from '../realtime/support/testSocket.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { listeningPort, type MainProcess, startMain } from '../support/mainProcess.ts';
import { mostSendsAllowedWithin } from '../support/rateLimits.ts';
import { mintToken, TEST_JWT_SECRET } from '../support/tokens.ts';

const SEND_PER_SECOND = 5;
const SEND_BURST = 10;
const SEND_LIMIT = { perSecond: SEND_PER_SECOND, burst: SEND_BURST };
const SOCKETS_PER_MINUTE = 4;

let database: TestDatabase;
const prefix = testRedisPrefix('rate_limits_processes');
/** an `npm start` process and the port it listens on */
type Node = MainProcess & { port: number };
const nodes: Node[] = [];
const sockets: TestSocket[] = [];

async function start(): Promise<Node> {
  const main = startMain({
    DATABASE_URL: database.url,
    REDIS_PREFIX: prefix,
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_SEND_PER_SECOND: String(SEND_PER_SECOND),
    RATE_LIMIT_SEND_BURST: String(SEND_BURST),
    RATE_LIMIT_SOCKETS_PER_MINUTE: String(SOCKETS_PER_MINUTE),
  });
  const node = Object.assign(main, { port: await listeningPort(main) });
  nodes.push(node);
  return node;
}

async function call(node: Node, userId: string, method: string, path: string, body?: object) {
  const response = await fetch(`http://127.0.0.1:${node.port}/api/chat${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await mintToken(userId)}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** A room socket, once the room is in the read models (every open counts against the user's limit). */
async function joinRoom(node: Node, roomId: string, userId: string): Promise<TestSocket> {
  for (let attempt = 0; (await call(node, userId, 'GET', `/rooms/${roomId}/`)).status !== 200; attempt++) {
    if (attempt > 100) throw new Error(`room ${roomId} was not projected`);
    await sleep(100);
  }
  const socket = openSocket(
    `ws://127.0.0.1:${node.port}/ws/chat/${roomId}/?token=${await mintToken(userId)}`,
  );
  sockets.push(socket);
  expect((await socket.next()).type).toBe('connection_established');
  return socket;
}

beforeAll(async () => {
  database = await createTestDatabase('rate_limits_processes');
  const first = await start();
  // the first has migrated the database before the second starts
  await first.waitForLine(/projection leader: projecting/);
  await start();
});
afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  for (const node of nodes) node.process.kill('SIGKILL');
  await database?.drop();
});

describe('rate limits across two app processes', () => {
  it('one user at 3x the send limit from both has at most the limit stored; others are unaffected', async () => {
    const [first, second] = [nodes[0]!, nodes[1]!];
    const alice = randomUUID();
    const bob = randomUUID();
    const room = await call(first, alice, 'POST', '/rooms/', {
      name: 'limits',
      room_type: 'group',
      participant_ids: [bob],
    });
    expect(room.status).toBe(201);
    const roomId = room.body.id as string;
    const aliceOnSecond = await joinRoom(second, roomId, alice);

    // 3x the sustained rate for 3 s: half over REST on the first process, half over the socket on the
    // second; bob sends 2 a second meanwhile
    const attemptsPerSecond = 3 * SEND_PER_SECOND;
    const seconds = 3;
    const restAnswers: Promise<Awaited<ReturnType<typeof call>>>[] = [];
    const bobAnswers: Promise<Awaited<ReturnType<typeof call>>>[] = [];
    let socketSends = 0;
    const startedAt = Date.now();
    for (let i = 0; i < attemptsPerSecond * seconds; i++) {
      if (i % 2 === 0) {
        restAnswers.push(call(first, alice, 'POST', `/rooms/${roomId}/messages/`, { content: `rest ${i}` }));
      } else {
        aliceOnSecond.send({ type: 'chat_message', message: `socket ${i}`, client_id: `s-${i}` });
        socketSends++;
      }
      if (i % 8 === 0)
        bobAnswers.push(call(second, bob, 'POST', `/rooms/${roomId}/messages/`, { content: `bob ${i}` }));
      await sleep(1000 / attemptsPerSecond);
    }
    const rest = await Promise.all(restAnswers);
    // every socket send is answered: an ack, or an error frame naming its client_id
    const socketAnswers: Frame[] = [];
    while (socketAnswers.length < socketSends) {
      socketAnswers.push(
        await aliceOnSecond.next((frame) => frame.type === 'message_ack' || frame.type === 'error', 30_000),
      );
    }
    const elapsedSeconds = (Date.now() - startedAt) / 1000;

    const restStored = rest.filter((answer) => answer.status === 201).length;
    const restRefused = rest.filter((answer) => answer.status !== 201);
    for (const refusal of restRefused) {
      expect(refusal.status).toBe(429);
      expect(refusal.body.code).toBe('rate_limited');
      expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const acks = socketAnswers.filter((frame) => frame.type === 'message_ack');
    const socketRefused = socketAnswers.filter((frame) => frame.type === 'error');
    for (const refusal of socketRefused) {
      expect(refusal.code).toBe('rate_limited');
      expect(refusal.retry_after_ms).toBeGreaterThan(0);
      expect(refusal.client_id).toMatch(/^s-/);
    }
    const accepted = restStored + acks.length;
    expect(accepted).toBeLessThanOrEqual(mostSendsAllowedWithin(elapsedSeconds, SEND_LIMIT));
    expect(restRefused.length + socketRefused.length).toBeGreaterThan(0);
    // both processes let some through: they count one allowance, not refuse everything
    expect(restStored).toBeGreaterThan(0);
    expect(acks.length).toBeGreaterThan(0);
    // the socket stayed open through its refusals
    expect(aliceOnSecond.ws.readyState).toBe(aliceOnSecond.ws.OPEN);

    for (const answer of await Promise.all(bobAnswers)) expect(answer.status).toBe(201);

    // what is stored is exactly what was accepted: nothing over the limit was appended
    let stored: { sender: { id: string } }[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const page = await call(first, alice, 'GET', `/rooms/${roomId}/messages/?limit=200`);
      stored = page.body.results;
      if (stored.filter((message) => message.sender.id === alice).length >= accepted) break;
      await sleep(100);
    }
    expect(stored.filter((message) => message.sender.id === alice)).toHaveLength(accepted);
    expect(stored.filter((message) => message.sender.id === bob)).toHaveLength(bobAnswers.length);
  });

  it('counts a user’s socket opens across both processes', async () => {
    const [first, second] = [nodes[0]!, nodes[1]!];
    const carol = randomUUID();
    const room = await call(first, carol, 'POST', '/rooms/', {
      name: 'sockets',
      room_type: 'group',
      participant_ids: [],
    });
    const roomId = room.body.id as string;
    for (let i = 0; i < SOCKETS_PER_MINUTE; i++) await joinRoom(i % 2 ? second : first, roomId, carol);
    const refused = openSocket(
      `ws://127.0.0.1:${second.port}/ws/chat/${roomId}/?token=${await mintToken(carol)}`,
    );
    sockets.push(refused);
    const frame = await refused.next('error');
    expect(frame.code).toBe('rate_limited');
    expect(frame.retry_after_ms).toBeGreaterThan(0);
    expect((await refused.closed).code).toBe(4029);
    // another user is not affected
    const dave = randomUUID();
    const own = await call(second, dave, 'POST', '/rooms/', {
      name: 'own',
      room_type: 'group',
      participant_ids: [],
    });
    await joinRoom(first, own.body.id, dave);
  });
});
