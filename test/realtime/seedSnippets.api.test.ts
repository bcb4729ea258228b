// The seed's own client snippets (CHAT_SYSTEM_QUICKSTART.md, "Testing WebSocket Connection"), run as they
// are written: only the placeholders (token, room id) and the port are filled in. The browser-console
// snippet runs on Node's WHATWG WebSocket (the browser API); the Python one under the system Python with
// the `websockets` package (Debian: python3-websockets), skipped with the reason when that is missing.
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { mintToken } from '../support/tokens.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';

const QUICKSTART = new URL('../../docs/seed/CHAT_SYSTEM_QUICKSTART.md', import.meta.url);
const PYTHON = '/usr/bin/python3';

function pythonWithWebsockets(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasPython = pythonWithWebsockets();

/** The fenced block of the given language right after a heading. */
async function snippet(heading: string, language: string): Promise<string> {
  const text = await readFile(QUICKSTART, 'utf8');
  const start = text.indexOf(`### ${heading}`);
  const open = text.indexOf(`\`\`\`${language}\n`, start);
  const close = text.indexOf('\n```', open + 1);
  if (start < 0 || open < 0 || close < 0) throw new Error(`no ${language} snippet under "${heading}"`);
  return text.slice(open + language.length + 4, close);
}

let database: TestDatabase;
let node: ChatNode;
const alice = randomUUID();
const bob = randomUUID();
let roomId: string;

beforeAll(async () => {
  database = await createTestDatabase('realtime_seed');
  await migrate(database.url);
  node = await startChatNode({ databaseUrl: database.url, redisPrefix: testRedisPrefix('rt_seed') });
  roomId = await node.groupRoom(alice, [bob], 'seed snippets');
});

afterAll(async () => {
  await node?.stop();
  await database?.drop();
});

describe("the seed's client snippets, unchanged", () => {
  it('the browser-console snippet connects, sends, and logs what it receives', async () => {
    const listener = await node.connect(`/ws/chat/${roomId}/`, bob);
    await listener.next('connection_established');
    const source = (await snippet('Browser Console Test', 'javascript'))
      .replace('your_jwt_access_token_here', await mintToken(alice))
      .replace('your-room-uuid', roomId)
      .replace('ws://localhost:8000', node.wsBase);
    const logged: unknown[][] = [];
    const console = {
      log: (...args: unknown[]) => logged.push(args),
      error: (...args: unknown[]) => logged.push(args),
    };
    const ws = new Function('console', `${source}\nreturn ws;`)(console) as WebSocket;

    await listener.next(
      (frame) => (frame.message as { content?: string })?.content === 'Hello from WebSocket!',
    );
    while (!logged.some(([, data]) => (data as { type?: string })?.type === 'chat_message')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(logged[0]).toEqual(['✅ Connected to chat!']);
    expect(logged[1]).toEqual([
      '📨 Received:',
      expect.objectContaining({ type: 'connection_established', room_id: roomId }),
    ]);
    ws.close();
    await listener.close();
  });

  it.skipIf(!hasPython)(
    'the Python snippet sends a message and prints the first frame (needs python3-websockets)',
    async () => {
      const listener = await node.connect(`/ws/chat/${roomId}/`, bob);
      await listener.next('connection_established');
      const source = (await snippet('Python Test Script', 'python'))
        .replace('YOUR_ROOM_ID', roomId)
        .replace('YOUR_JWT_TOKEN', await mintToken(alice))
        .replace('ws://localhost:8000', node.wsBase);
      const { stdout } = await promisify(execFile)(PYTHON, ['-c', source], { timeout: 20_000 });
      expect(stdout).toMatch(
        /^Received: \{"type":"connection_established","room_id":"[^"]+","unread_count":\d+/,
      );
      await listener.next(
        (frame) => (frame.message as { content?: string })?.content === 'Test from Python!',
      );
      await listener.close();
    },
  );
});
