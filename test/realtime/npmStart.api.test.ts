// Two `npm start` processes (src/main.ts, its projector in a worker thread) on one database and one Redis:
// a client on either sees what is sent on the other; when the process that projects is killed, the other
// takes over; SIGTERM shuts a process down cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { mintToken, TEST_JWT_SECRET } from '../support/tokens.ts';
import { type Frame, openSocket, type TestSocket } from './support/testSocket.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

type Node = {
  process: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  /** resolves when its projector thread logs that it leads */
  leading: Promise<void>;
};

let database: TestDatabase;
const prefix = testRedisPrefix('npm_start');
const nodes: Node[] = [];

/** `node src/main.ts` as npm start runs it, on a port of its choosing (read from its log). */
async function startNode(): Promise<Node> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_PREFIX: prefix,
      CHAT_JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const lines = createInterface({ input: child.stdout! });
  const leading = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line.includes('projection leader: projecting')) resolve();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`src/main.ts exited with ${code} before listening`)));
  });
  const node = { process: child, port, exited, leading };
  nodes.push(node);
  return node;
}

async function api(node: Node, userId: string, path: string, body: object) {
  const response = await fetch(`http://127.0.0.1:${node.port}/api/chat${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await mintToken(userId)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

async function connect(node: Node, roomId: string, userId: string): Promise<TestSocket> {
  const url = `ws://127.0.0.1:${node.port}/ws/chat/${roomId}/?token=${await mintToken(userId)}`;
  // the room reaches the read models a moment after its creation answered: retry the refused join
  for (let attempt = 0; ; attempt++) {
    const socket = openSocket(url);
    const first = await socket.next(undefined, 10_000).catch(() => null);
    if (first?.type === 'connection_established') return socket;
    await socket.close();
    if (attempt > 50) throw new Error(`cannot join room ${roomId}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const saying = (content: string) => (frame: Frame) =>
  frame.type === 'chat_message' && (frame.message as { content: string }).content === content;

beforeAll(async () => {
  database = await createTestDatabase('npm_start');
});
afterAll(async () => {
  for (const node of nodes) node.process.kill('SIGKILL');
  await database?.drop();
});

describe('two npm start processes', () => {
  it('serve one conversation, survive the loss of either, and stop on SIGTERM', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const first = await startNode();
    await first.leading;
    const second = await startNode();
    const room = await api(first, alice, '/rooms/', {
      name: 'Two processes',
      room_type: 'group',
      participant_ids: [bob],
    });

    const aliceOnFirst = await connect(first, room.id, alice);
    const bobOnSecond = await connect(second, room.id, bob);
    aliceOnFirst.send({ type: 'chat_message', message: 'across processes', client_id: 'a-1' });
    await aliceOnFirst.next('message_ack');
    await bobOnSecond.next(saying('across processes'));
    await aliceOnFirst.next(saying('across processes'));

    // the first projects, the second stands by; killing the first leaves the projecting to the second
    first.process.kill('SIGKILL');
    await first.exited;
    await second.leading;
    const aliceOnSecond = await connect(second, room.id, alice);
    aliceOnSecond.send({ type: 'chat_message', message: 'after the loss', client_id: 'a-2' });
    await bobOnSecond.next(saying('after the loss'), 30_000);

    second.process.kill('SIGTERM');
    expect((await bobOnSecond.closed).code).toBe(1012);
    expect(await second.exited).toBe(0);
  });
});
