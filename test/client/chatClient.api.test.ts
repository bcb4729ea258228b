// The client library against the real service, in Node (its global fetch and WebSocket): two users
// chat, the service restarts mid-conversation, and every message arrives once, in order, the ones written
// while it was down included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from '../../src/client/chatClient.ts';
import { ChatApiError } from '../../src/client/errors.ts';
import type { ConnectionState } from '../../src/client/socket.ts';
import { memoryStore } from '../../src/client/storage.ts';
import type { ServerFrame } from '../../src/contract/frames.ts';
import { type RestartableService, startRestartableService } from '../support/restartableService.ts';
import { mintToken } from '../support/tokens.ts';

const ALICE = '101';
const BOB = '102';

let service: RestartableService;
beforeAll(async () => {
  service = await startRestartableService('client_lib');
});
afterAll(async () => {
  await service?.dispose();
});

type Participant = { client: ChatClient; frames: ServerFrame[]; states: ConnectionState['status'][] };

async function connectAs(userId: string, username: string): Promise<Participant> {
  const token = await mintToken(userId, { claims: { username }, expiresIn: 600 });
  const client = new ChatClient({
    baseUrl: service.baseUrl,
    userId,
    token: () => token,
    storage: memoryStore(),
    backoff: { initialMs: 100, maxMs: 1_000 },
    outboxRetryMs: 200,
  });
  const participant: Participant = { client, frames: [], states: [] };
  client.on('frame', (frame) => participant.frames.push(frame));
  client.on('state', (state) => participant.states.push(state.status));
  client.start();
  await until(() => client.socket.state.status === 'open');
  return participant;
}

/** the contents of the chat_message frames a participant got in a room, in arrival order */
const received = (participant: Participant, roomId: string) =>
  participant.frames.flatMap((frame) =>
    frame.type === 'chat_message' && frame.room_id === roomId ? [frame.message.content] : [],
  );

async function until(condition: () => boolean, what = 'condition', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the client library against the real service', () => {
  it('sends both ways, survives a server restart mid-conversation, and loses or doubles nothing', async () => {
    const alice = await connectAs(ALICE, 'alice');
    const bob = await connectAs(BOB, 'bob');
    const room = await alice.client.rest.createRoom({
      room_type: 'group',
      name: 'Pool repairs',
      participant_ids: [BOB],
    });
    await until(() => bob.frames.some((frame) => frame.type === 'room_added' && frame.room_id === room.id));
    alice.client.socket.subscribe(room.id, room.last_seq);
    bob.client.socket.subscribe(room.id, room.last_seq);

    for (const n of [1, 2, 3]) alice.client.send(room.id, `alice ${n}`);
    bob.client.send(room.id, 'bob 1');
    await until(() => received(bob, room.id).length === 4 && received(alice, room.id).length === 4, '4 live');

    await service.stop();
    await until(() => alice.client.socket.state.status === 'waiting', 'alice notices');
    await until(() => bob.client.socket.state.status === 'waiting', 'bob notices');
    // written while the service is down: kept in the outbox
    alice.client.send(room.id, 'alice 4 (while down)');
    alice.client.send(room.id, 'alice 5 (while down)');
    bob.client.send(room.id, 'bob 2 (while down)');
    await until(() => alice.client.outbox.list().length === 2 && bob.client.outbox.list().length === 1);
    // kept for later, not refused
    expect(alice.client.outbox.list().every((entry) => entry.state !== 'failed')).toBe(true);

    await service.start();
    await until(() => received(bob, room.id).length >= 7 && received(alice, room.id).length >= 7, 'all 7');
    await until(() => alice.client.outbox.list().length === 0 && bob.client.outbox.list().length === 0);

    const expected = ['alice 1', 'alice 2', 'alice 3', 'bob 1'];
    for (const participant of [alice, bob]) {
      const contents = received(participant, room.id);
      expect(contents.slice(0, 4).sort()).toEqual(expected.sort());
      expect(contents.slice(4).sort()).toEqual([
        'alice 4 (while down)',
        'alice 5 (while down)',
        'bob 2 (while down)',
      ]);
      // each sender's own messages in the order written
      expect(contents.filter((content) => content.startsWith('alice'))).toEqual([
        'alice 1',
        'alice 2',
        'alice 3',
        'alice 4 (while down)',
        'alice 5 (while down)',
      ]);
      expect(participant.states).toContain('waiting');
    }
    const stored = await bob.client.rest.listMessages(room.id, { limit: 50 });
    expect(stored.results).toHaveLength(7);
    expect(new Set(stored.results.map((message) => message.seq)).size).toBe(7);

    alice.client.stop();
    bob.client.stop();
  });

  it('resends an unacknowledged client id without storing the message twice', async () => {
    const alice = await connectAs(ALICE, 'alice');
    const room = await alice.client.rest.createRoom({ room_type: 'group', name: 'Idempotency' });
    const first = await alice.client.rest.sendMessage(room.id, { content: 'once', client_id: 'fixed-id-1' });
    const again = await alice.client.rest.sendMessage(room.id, { content: 'once', client_id: 'fixed-id-1' });
    expect(again.id).toBe(first.id);
    const conflict = await alice.client.rest
      .sendMessage(room.id, { content: 'other text', client_id: 'fixed-id-1' })
      .catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ChatApiError);
    expect((conflict as ChatApiError).code).toBe('idempotency_conflict');
    const stored = await alice.client.rest.listMessages(room.id, { wait_for: first.position });
    expect(stored.results.map((message) => message.content)).toEqual(['once']);
    alice.client.stop();
  });

  it('marks a refused message failed with the service’s code, and a non-participant sees nothing', async () => {
    const alice = await connectAs(ALICE, 'alice');
    const carol = await connectAs('103', 'carol');
    const room = await alice.client.rest.createRoom({ room_type: 'group', name: 'Private' });
    const entry = alice.client.send(room.id, 'x'.repeat(20_000));
    await until(() => alice.client.outbox.list()[0]?.state === 'failed', 'refusal');
    expect(alice.client.outbox.list()[0]).toMatchObject({
      client_id: entry.client_id,
      error: { code: 'validation_failed' },
    });
    const outsider = await carol.client.rest.getRoom(room.id).catch((error: unknown) => error);
    expect(outsider).toMatchObject({ status: 404, code: 'not_found' });
    alice.client.stop();
    carol.client.stop();
  });
});
