// Resume and revocation: a client that reconnects with its last seq gets exactly what it missed, in order,
// then live frames; a cursor the server cannot honour gets an explicit answer; a removed user gets nothing
// after the removal, live or on resume.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipant } from '../../src/commands/addParticipant.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { removeParticipant } from '../../src/commands/removeParticipant.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { migrate } from '../../src/db/migrate.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';
import type { Frame } from './support/testSocket.ts';

const MAX_REPLAY = 20;
let database: TestDatabase;
let node: ChatNode;
const alice = randomUUID();
const bob = randomUUID();
const connect = (path: string, userId: string, query = '') => node.connect(path, userId, query);
const newRoom = () => node.groupRoom(alice, [bob], 'resume');

/** Sends messages and waits until they are projected (so they are in the feed a resume reads). */
async function send(roomId: string, contents: string[]) {
  let position = '0';
  for (const content of contents) ({ position } = await sendMessage(node.as(alice), { roomId, content }));
  await waitForPosition(node.app.pg, position, 10_000, 'chat');
}

const fed = (frames: Frame[]) => frames.filter((frame) => typeof frame.seq === 'number');
const contents = (frames: Frame[]) =>
  frames
    .filter((frame) => frame.type === 'chat_message')
    .map((frame) => (frame.message as { content: string }).content);

beforeAll(async () => {
  database = await createTestDatabase('realtime_resume');
  await migrate(database.url);
  node = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: testRedisPrefix('rt_resume'),
    limits: { maxReplay: MAX_REPLAY },
  });
});

afterAll(async () => {
  await node?.stop();
  await database?.drop();
});

describe('resume with last_seq', () => {
  it('replays exactly the missed frames in order, says recovered, then goes live', async () => {
    const roomId = await newRoom();
    const first = await connect(`/ws/chat/${roomId}/`, bob);
    await first.next('connection_established');
    await send(roomId, ['one', 'two']);
    const seen = await first.next((frame) => frame.type === 'chat_message' && contents([frame])[0] === 'two');
    const lastSeq = seen.seq as number;
    await first.close();

    await send(roomId, ['three', 'four', 'five']);
    const again = await connect(`/ws/chat/${roomId}/`, bob, `&last_seq=${lastSeq}`);
    await again.next('connection_established');
    const resumed = await again.next('resumed');
    const replayed = fed(again.frames);
    expect(contents(replayed)).toEqual(['three', 'four', 'five']);
    expect(replayed.map((frame) => frame.seq)).toEqual(replayed.map((_, index) => lastSeq + 1 + index));
    expect(resumed).toEqual({
      type: 'resumed',
      room_id: roomId,
      from_seq: lastSeq,
      to_seq: lastSeq + replayed.length,
      recovered: true,
    });

    await send(roomId, ['six']);
    await again.next((frame) => contents([frame])[0] === 'six');
    const all = fed(again.frames);
    expect(all.map((frame) => frame.seq)).toEqual(all.map((_, index) => lastSeq + 1 + index)); // none twice
    await again.close();
  });

  it('answers recovered:false for a seq the room never reached, and one too far behind', async () => {
    const roomId = await newRoom();
    const ahead = await connect(`/ws/chat/${roomId}/`, bob, '&last_seq=999999');
    await ahead.next('connection_established');
    expect(await ahead.next('resumed')).toMatchObject({
      recovered: false,
      reason: 'unknown_seq',
      from_seq: 999999,
    });

    await send(
      roomId,
      Array.from({ length: MAX_REPLAY + 5 }, (_, index) => `bulk ${index}`),
    );
    const behind = await connect(`/ws/chat/${roomId}/`, bob, '&last_seq=1');
    await behind.next('connection_established');
    const answer = await behind.next('resumed');
    expect(answer).toMatchObject({ recovered: false, reason: 'too_far_behind', from_seq: 1 });
    expect(fed(behind.frames)).toEqual([]); // nothing replayed: the client reloads over REST
    expect(answer.to_seq).toBeGreaterThan(MAX_REPLAY);
    await Promise.all([ahead.close(), behind.close()]);
  });

  it('resumes a room on the user socket through subscribe', async () => {
    const roomId = await newRoom();
    await send(roomId, ['before']);
    const seen = await connect(`/ws/chat/${roomId}/`, bob, '&last_seq=0');
    const before = await seen.next((frame) => contents([frame])[0] === 'before');
    await seen.close();
    await send(roomId, ['missed 1', 'missed 2']);

    const socket = await connect('/ws/chat/', bob);
    await socket.next('connection_established');
    socket.send({ type: 'subscribe', room_id: roomId, last_seq: before.seq });
    const subscribed = await socket.next('subscribed');
    expect(contents(fed(socket.frames))).toEqual(['missed 1', 'missed 2']);
    expect(subscribed).toMatchObject({ room_id: roomId, recovered: true, from_seq: before.seq });
    await socket.close();
  });

  it('replays a shared room from its start to a new member, and a joined room from their join only', async () => {
    const carol = randomUUID();
    const replayFor = async (historyVisibility: 'shared' | 'joined') => {
      const room = await createRoom(node.as(alice), {
        roomType: 'group',
        name: historyVisibility,
        participantIds: [bob],
        settings: { historyVisibility },
      });
      await waitForPosition(node.app.pg, room.position, 10_000, 'chat');
      await send(room.roomId, ['before carol']);
      const added = await addParticipant(node.as(alice), { roomId: room.roomId, userId: carol });
      await waitForPosition(node.app.pg, added.position, 10_000, 'chat');
      await send(room.roomId, ['after carol']);

      const socket = await connect('/ws/chat/', carol);
      await socket.next('connection_established');
      socket.send({ type: 'subscribe', room_id: room.roomId, last_seq: 0 });
      expect(await socket.next('subscribed')).toMatchObject({ recovered: true, from_seq: 0 });
      await socket.close();
      return fed(socket.frames);
    };

    const shared = await replayFor('shared');
    expect(shared[0]).toMatchObject({ type: 'room_created', seq: 1 });
    expect(contents(shared)).toEqual(['before carol', 'after carol']);
    const joined = await replayFor('joined');
    expect(joined[0]).toMatchObject({ type: 'participant_joined', participant: { user: { id: carol } } });
    expect(contents(joined)).toEqual(['after carol']);
  });

  it('resumes a room whose members all come back at once, from different seqs, while messages keep coming', async () => {
    const members = Array.from({ length: 8 }, () => randomUUID());
    const roomId = await node.groupRoom(alice, members, 'storm');
    await send(roomId, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    const head = await node.app.pg.query<{ last_seq: number }>(
      'SELECT last_seq FROM chat_read.rooms WHERE id = $1',
      [roomId],
    );
    const headSeq = head.rows[0]!.last_seq;
    // member i last saw seq headSeq - 1 - i: each misses a different tail of the room
    const sockets = await Promise.all(
      members.map((member, index) =>
        connect(`/ws/chat/${roomId}/`, member, `&last_seq=${headSeq - 1 - index}`),
      ),
    );
    const during = send(roomId, ['live 0', 'live 1', 'live 2']);
    await Promise.all(sockets.map((socket) => socket.next('resumed')));
    await during;
    // 'live 2' comes live, or in the replay before `resumed` when it was projected before that read
    await Promise.all(
      sockets.map((socket) =>
        contents(socket.frames).includes('live 2')
          ? undefined
          : socket.next((frame) => contents([frame])[0] === 'live 2'),
      ),
    );
    for (const [index, socket] of sockets.entries()) {
      const seqs = fed(socket.frames).map((frame) => frame.seq as number);
      const from = headSeq - 1 - index;
      // every seq after the member's cursor exactly once, in order, up to the last live message
      expect(seqs).toEqual(seqs.map((_, at) => from + 1 + at));
      expect(contents(fed(socket.frames)).slice(-3)).toEqual(['live 0', 'live 1', 'live 2']);
      expect(socket.frames.find((frame) => frame.type === 'resumed')).toMatchObject({ recovered: true });
    }
    await Promise.all(sockets.map((socket) => socket.close()));
  });

  it('rejects a malformed last_seq explicitly', async () => {
    const roomId = await newRoom();
    const socket = await connect(`/ws/chat/${roomId}/`, bob, '&last_seq=abc');
    expect(await socket.next('error')).toMatchObject({ code: 'invalid_frame', field: 'last_seq' });
    expect((await socket.closed).code).toBe(1008);
  });
});

describe('removal from the room', () => {
  it('closes the room socket (4003), unsubscribes the user socket, and delivers nothing after it', async () => {
    const roomId = await newRoom();
    const roomSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await roomSocket.next('connection_established');
    const userSocket = await connect('/ws/chat/', bob);
    await userSocket.next('connection_established');
    userSocket.send({ type: 'subscribe', room_id: roomId });
    await userSocket.next('subscribed');

    await send(roomId, ['while a member']);
    await roomSocket.next('chat_message');
    const removal = await removeParticipant(node.as(alice), { roomId, userId: bob });
    await send(roomId, ['after the removal']);
    await waitForPosition(node.app.pg, removal.position, 10_000, 'chat');

    const removedFrame = await roomSocket.next('participant_removed');
    expect(removedFrame).toMatchObject({ participant: { user: { id: bob } } });
    expect(await roomSocket.closed).toEqual({ code: 4003, reason: 'no longer a participant' });
    expect(await userSocket.next('unsubscribed')).toMatchObject({
      room_id: roomId,
      reason: 'no_longer_participant',
    });

    const watcher = await connect(`/ws/chat/${roomId}/`, alice);
    await watcher.next('connection_established');
    await send(roomId, ['later still']);
    await watcher.next((frame) => contents([frame])[0] === 'later still');
    for (const socket of [roomSocket, userSocket]) {
      expect(contents(socket.frames)).not.toContain('after the removal');
      expect(contents(socket.frames)).not.toContain('later still');
    }

    // resuming from before the removal is refused before any room data
    const resume = await connect(`/ws/chat/${roomId}/`, bob, '&last_seq=1');
    expect((await resume.closed).code).toBe(4003);
    expect(resume.frames).toEqual([]);
    await Promise.all([userSocket.close(), watcher.close()]);
  });
});
