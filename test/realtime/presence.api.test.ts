// Presence across two nodes (and a third in a process of its own, killed with SIGKILL): online, away and
// offline per user over all their devices, delivered only to people who share a room with them (on both
// sockets, in the room socket's greeting and in REST participant lists), invisible mode, and no ghosts
// once a node dies.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { mintToken } from '../support/tokens.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';
import { type Frame, openSocket } from './support/testSocket.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const NODE_PROCESS = fileURLToPath(new URL('./support/nodeProcess.ts', import.meta.url));
const HEARTBEAT_MS = 2_000;
/** generous: the machine is shared; what is asserted is the outcome, not how fast it came */
const PATIENCE_MS = 30_000;

let database: TestDatabase;
let nodeA: ChatNode;
let nodeB: ChatNode;
const prefix = testRedisPrefix('presence');
const [alice, bob, carol, erin] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
let roomId: string;
let bobRest: UserClient;
let carolRest: UserClient;
let aliceRest: UserClient;

beforeAll(async () => {
  database = await createTestDatabase('realtime_presence');
  await migrate(database.url);
  const limits = { presenceHeartbeatMs: HEARTBEAT_MS };
  nodeA = await startChatNode({ databaseUrl: database.url, redisPrefix: prefix, limits });
  nodeB = await startChatNode({ databaseUrl: database.url, redisPrefix: prefix, limits });
  // alice and bob share a room; carol and erin share one, with neither of them
  roomId = await nodeA.groupRoom(alice, [bob], 'alice and bob');
  await nodeA.groupRoom(carol, [erin], 'carol and erin');
  aliceRest = await clientFor(nodeB.app, alice);
  bobRest = await clientFor(nodeB.app, bob);
  carolRest = await clientFor(nodeB.app, carol);
});

afterAll(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await database?.drop();
});

const presenceOf = (user: string, status?: string) => (frame: Frame) =>
  frame.type === 'presence' && frame.user_id === user && (status === undefined || frame.status === status);

async function userSocket(node: ChatNode, user: string) {
  const socket = await node.connect('/ws/chat/', user);
  await socket.next('connection_established');
  return socket;
}

async function restPresence(who: UserClient, user: string) {
  const list = await who.get(`/api/chat/rooms/${roomId}/participants/`);
  expect(list.status).toBe(200);
  return list.body.find((participant: { user: { id: string } }) => participant.user.id === user).presence;
}

describe('presence across nodes', () => {
  it('shows a user online to a roommate on another node, on both sockets, and to no one else', async () => {
    const bobsRoom = await nodeB.connect(`/ws/chat/${roomId}/`, bob);
    const greeting = await bobsRoom.next('connection_established');
    expect(greeting.presence).toEqual([{ user_id: alice, status: 'offline', last_seen: null }]);
    const bobsUser = await userSocket(nodeB, bob);
    const carols = await userSocket(nodeA, carol);

    const alices = await userSocket(nodeA, alice);
    expect(await bobsRoom.next(presenceOf(alice))).toMatchObject({ status: 'online', last_seen: null });
    expect(await bobsUser.next(presenceOf(alice))).toMatchObject({ status: 'online' });
    expect(await restPresence(bobRest, alice)).toEqual({ user_id: alice, status: 'online', last_seen: null });

    // a change published after alice's reaches carol's node after it: by then alice's would have come
    const erins = await userSocket(nodeB, erin);
    await carols.next(presenceOf(erin, 'online'));
    expect(carols.frames.filter(presenceOf(alice))).toEqual([]);
    expect((await carolRest.get(`/api/chat/users/${alice}/presence/`)).status).toBe(404);
    expect((await bobRest.get(`/api/chat/users/${alice}/presence/`)).body).toMatchObject({
      status: 'online',
    });
    // the greeting of a room socket shows the room's people only
    const alicesRoom = await nodeA.connect(`/ws/chat/${roomId}/`, alice);
    expect((await alicesRoom.next('connection_established')).presence).toEqual([
      { user_id: bob, status: 'online', last_seen: null },
    ]);
    for (const socket of [bobsRoom, bobsUser, carols, alices, erins, alicesRoom]) await socket.close();
    await bobsUserGone(bob);
  });

  it('is online while any device is, away when all are away, offline with a last seen when none is left', async () => {
    // the test before closed alice's sockets: until her node has reported her offline, a new device of
    // hers changes nothing (she was online all along) and bob is told nothing
    await bobsUserGone(alice);
    const bobs = await userSocket(nodeB, bob);
    const phone = await userSocket(nodeA, alice);
    await bobs.next(presenceOf(alice, 'online'));
    const laptop = await userSocket(nodeB, alice);

    phone.send({ type: 'set_presence', away: true });
    laptop.send({ type: 'set_presence', away: true });
    await bobs.next(presenceOf(alice, 'away'));
    expect(await restPresence(bobRest, alice)).toMatchObject({ status: 'away' });

    laptop.send({ type: 'set_presence', away: false });
    await bobs.next(presenceOf(alice, 'online'));

    const before = Date.now();
    await laptop.close();
    await phone.close();
    const offline = await bobs.next(presenceOf(alice, 'offline'));
    expect(Date.parse(offline.last_seen as string)).toBeGreaterThanOrEqual(before - 1_000);
    const rest = await restPresence(bobRest, alice);
    expect(rest).toEqual({ user_id: alice, status: 'offline', last_seen: offline.last_seen });
    await bobs.close();
    await bobsUserGone(bob);
  });

  it('shows an invisible user offline, with no last seen, everywhere, until they are visible again', async () => {
    await bobsUserGone(alice);
    const bobs = await userSocket(nodeB, bob);
    const alices = await userSocket(nodeA, alice);
    await bobs.next(presenceOf(alice, 'online'));

    expect((await aliceRest.put('/api/chat/presence/', { invisible: true })).status).toBe(200);
    expect(await bobs.next(presenceOf(alice))).toMatchObject({ status: 'offline', last_seen: null });
    expect(await restPresence(bobRest, alice)).toEqual({
      user_id: alice,
      status: 'offline',
      last_seen: null,
    });
    expect((await aliceRest.get('/api/chat/presence/')).body).toEqual({ invisible: true });
    // a new device of hers does not give her away, nor does a greeting
    const another = await userSocket(nodeB, alice);
    const bobsRoom = await nodeB.connect(`/ws/chat/${roomId}/`, bob);
    expect((await bobsRoom.next('connection_established')).presence).toEqual([
      { user_id: alice, status: 'offline', last_seen: null },
    ]);

    alices.send({ type: 'set_presence', invisible: false });
    await bobs.next(presenceOf(alice, 'online'));
    expect((await aliceRest.get('/api/chat/presence/')).body).toEqual({ invisible: false });
    expect(bobs.frames.filter(presenceOf(alice)).map((frame) => frame.status)).toEqual([
      'online',
      'offline',
      'online',
    ]);
    for (const socket of [bobs, alices, another, bobsRoom]) await socket.close();
    await bobsUserGone(bob);
  });

  it('turns an idle device away by itself (keepalives do not count) and online again at what she does next', async () => {
    const IDLE_MS = 3_000;
    const idleNode = await startChatNode({
      databaseUrl: database.url,
      redisPrefix: prefix,
      limits: { presenceHeartbeatMs: HEARTBEAT_MS, presenceIdleMs: IDLE_MS },
    });
    try {
      await bobsUserGone(alice);
      const bobs = await userSocket(nodeB, bob);
      const alices = await idleNode.connect(`/ws/chat/${roomId}/`, alice);
      await alices.next('connection_established');
      await bobs.next(presenceOf(alice, 'online'));
      const connectedAt = Date.now();
      const keepalive = setInterval(() => alices.send({ type: 'ping' }), 500);
      try {
        await bobs.next(presenceOf(alice, 'away'), PATIENCE_MS);
      } finally {
        clearInterval(keepalive);
      }
      expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(IDLE_MS - 500);
      expect(await restPresence(bobRest, alice)).toMatchObject({ status: 'away', last_seen: null });

      alices.send({ type: 'typing', is_typing: true });
      await bobs.next(presenceOf(alice, 'online'));
      // a device that said it is away stays away whatever it does, until it says it is back
      alices.send({ type: 'set_presence', away: true });
      await bobs.next(presenceOf(alice, 'away'));
      alices.send({ type: 'typing', is_typing: false });
      alices.send({ type: 'set_presence', away: false });
      await bobs.next(presenceOf(alice, 'online'));
      expect(bobs.frames.filter(presenceOf(alice)).map((frame) => frame.status)).toEqual([
        'online',
        'away',
        'online',
        'away',
        'online',
      ]);
      for (const socket of [bobs, alices]) await socket.close();
      await bobsUserGone(alice);
    } finally {
      await idleNode.stop();
    }
  });
});

describe('a node that dies', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('takes its users offline without any cleanup of its own (SIGKILL), with their last heartbeat as last seen', async () => {
    child = spawn(NODE, [NODE_PROCESS], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        REDIS_PREFIX: prefix,
        PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = /port (\d+)/.exec(line.toString())![1];
    const bobs = await userSocket(nodeB, bob);
    const onDoomedNode = openSocket(`ws://127.0.0.1:${port}/ws/chat/?token=${await mintToken(alice)}`);
    await onDoomedNode.next('connection_established');
    await bobs.next(presenceOf(alice, 'online'));

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const offline = await bobs.next(presenceOf(alice, 'offline'), PATIENCE_MS);
    // the dead node's last heartbeat: before the kill
    expect(Date.parse(offline.last_seen as string)).toBeLessThanOrEqual(killedAt + 1_000);
    expect(await restPresence(bobRest, alice)).toMatchObject({ status: 'offline' });
    await bobs.close();
  });
});

/** waits until a user's last socket is gone everywhere, so the next test starts from offline */
async function bobsUserGone(user: string) {
  const watcher = await clientFor(nodeA.app, alice);
  for (let i = 0; i < 300; i++) {
    const answer = await watcher.get(`/api/chat/users/${user}/presence/`);
    if (answer.body.status === 'offline') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${user} stayed online`);
}
