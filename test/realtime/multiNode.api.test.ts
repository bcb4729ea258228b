// Two app instances on one database and one Redis: a client on either sees everything; one projector runs
// at a time and the other takes over; a node whose Redis subscription drops tells its clients, which
// resume without loss.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { migrate } from '../../src/db/migrate.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';
import type { Frame, TestSocket } from './support/testSocket.ts';

let database: TestDatabase;
let nodeA: ChatNode;
let nodeB: ChatNode;
let redis: Redis;
const prefix = testRedisPrefix('rt_nodes');
const alice = randomUUID();
const bob = randomUUID();
let roomId: string;
async function connect(node: ChatNode, userId: string, query = '') {
  const socket = await node.connect(`/ws/chat/${roomId}/`, userId, query);
  await socket.next('connection_established');
  return socket;
}

const contentOf = (frame: Frame) =>
  frame.type === 'chat_message' ? (frame.message as { content: string }).content : undefined;
const waitForContent = (socket: TestSocket, content: string) =>
  socket.next((frame) => contentOf(frame) === content);

beforeAll(async () => {
  database = await createTestDatabase('realtime_nodes');
  await migrate(database.url);
  // node A's projector loses every entry of a message whose text says so
  nodeA = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: prefix,
    dropPublish: (entry) => JSON.stringify(entry.frame).includes('lost in transit'),
  });
  while (nodeA.projections.status()[0]!.state !== 'running')
    await new Promise((resolve) => setTimeout(resolve, 20));
  nodeB = await startChatNode({ databaseUrl: database.url, redisPrefix: prefix });
  redis = new Redis();
  roomId = await nodeA.groupRoom(alice, [bob], 'two nodes');
});

afterAll(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.quit();
  await database?.drop();
});

describe('two nodes', () => {
  it('delivers a message sent on node A to a client on node B, and back', async () => {
    const onA = await connect(nodeA, alice);
    const onB = await connect(nodeB, bob);
    onA.send({ type: 'chat_message', message: 'from A' });
    await waitForContent(onB, 'from A');
    onB.send({ type: 'chat_message', message: 'from B' });
    await waitForContent(onA, 'from B');
    onA.send({ type: 'typing', is_typing: true });
    expect(await onB.next('typing')).toMatchObject({ user_id: alice });
    await Promise.all([onA.close(), onB.close()]);
  });

  it('fills a gap from room_feed when a published entry never arrives', async () => {
    expect(nodeA.projections.status()[0]!.state).toBe('running'); // A projects, so A loses the entry
    const listener = await connect(nodeB, bob);
    await sendMessage(nodeA.as(alice), { roomId, content: 'lost in transit' });
    await sendMessage(nodeA.as(alice), { roomId, content: 'arrives normally' });
    await waitForContent(listener, 'arrives normally');
    // node B saw the seq jump and fetched the missing entry first: in order, nothing skipped
    expect(listener.frames.map(contentOf).filter(Boolean)).toEqual(['lost in transit', 'arrives normally']);
    await listener.close();
  });

  it('projects on exactly one node; the other takes over when it stops', async () => {
    const states = () => [nodeA, nodeB].map((node) => node.projections.status()[0]!.state);
    expect(states().sort()).toEqual(['running', 'standby']);

    const leader = states()[0] === 'running' ? nodeA : nodeB;
    const follower = leader === nodeA ? nodeB : nodeA;
    const listener = await connect(follower, bob);
    await leader.projections.stop();
    const sent = await sendMessage(follower.as(alice), { roomId, content: 'after the failover' });
    await waitForContent(listener, 'after the failover');
    expect(await waitForPosition(follower.app.pg, sent.position, 10_000, 'chat')).toBe(true);
    expect(follower.projections.status()[0]!.state).toBe('running');
    await listener.close();
  });

  it('closes sockets with 1012 when the Redis subscription drops; they resume without loss', async () => {
    const listener = await connect(nodeB, bob);
    await sendMessage(nodeA.as(alice), { roomId, content: 'before the drop' });
    const before = await waitForContent(listener, 'before the drop');

    // kill this file's subscriber connections only (other test files share this Redis)
    const clients = await redis.client('LIST');
    const subscriberId = /id=(\d+) [^\n]*name=(\S+)/g;
    const mine = [...String(clients).matchAll(subscriberId)]
      .filter((match) => match[2] === `${prefix}app:realtime-subscriber`)
      .map((match) => match[1]!);
    expect(mine.length).toBe(2); // one per node
    for (const id of mine) await redis.client('KILL', 'ID', id);
    expect(await listener.closed).toMatchObject({ code: 1012 });

    const missed = await sendMessage(nodeA.as(alice), { roomId, content: 'during the outage' });
    await waitForPosition(nodeA.app.pg, missed.position, 10_000, 'chat');
    const resumed = await connect(nodeB, bob, `&last_seq=${before.seq}`);
    expect(await resumed.next('resumed')).toMatchObject({ recovered: true });
    await sendMessage(nodeA.as(alice), { roomId, content: 'after the drop' });
    await waitForContent(resumed, 'after the drop');
    const seqs = resumed.frames.filter((frame) => typeof frame.seq === 'number').map((frame) => frame.seq);
    expect(seqs).toEqual(seqs.map((_, index) => (before.seq as number) + 1 + index));
    expect(resumed.frames.map(contentOf).filter(Boolean)).toEqual(['during the outage', 'after the drop']);
    await resumed.close();
  });
});
