// The seed's WebSocket protocol end to end: real clients against the running app (PostgreSQL event store,
// projector, Redis fan-out), plus the additions: acks, idempotent retries, unread counts, the user socket.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipant } from '../../src/commands/addParticipant.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { editMessage } from '../../src/commands/editMessage.ts';
import { removeParticipant } from '../../src/commands/removeParticipant.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { migrate } from '../../src/db/migrate.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';

let database: TestDatabase;
let node: ChatNode;
const alice = randomUUID();
const bob = randomUUID();
const outsider = randomUUID();
let roomId: string;
let otherRoomId: string;
const connect = (path: string, userId: string) => node.connect(path, userId);

beforeAll(async () => {
  database = await createTestDatabase('realtime_protocol');
  await migrate(database.url);
  node = await startChatNode({ databaseUrl: database.url, redisPrefix: testRedisPrefix('rt_protocol') });
  roomId = await node.groupRoom(alice, [bob], 'ops');
  otherRoomId = await node.groupRoom(alice, [bob], 'other');
});

afterAll(async () => {
  await node?.stop();
  await database?.drop();
});

describe('the seed room socket /ws/chat/{room_id}/?token=', () => {
  it('runs the browser-console snippet: connect, send on open, everyone receives the message', async () => {
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await bobSocket.next('connection_established');
    // exactly what the seed's snippet does: send in onopen, before anything came back
    const aliceSocket = await connect(`/ws/chat/${roomId}/`, alice);
    aliceSocket.send({ type: 'chat_message', message: 'Hello from WebSocket!' });

    // the first frame is connection_established (the Python snippet prints it)
    expect(await aliceSocket.next()).toEqual({
      type: 'connection_established',
      room_id: roomId,
      unread_count: 0,
      user_id: alice,
      username: `user-${alice.slice(0, 8)}`,
      typing: [],
      presence: [{ user_id: bob, status: 'online', last_seen: null }],
    });
    const ack = await aliceSocket.next('message_ack');
    expect(ack).toMatchObject({ room_id: roomId, client_id: null, created: true });
    for (const socket of [aliceSocket, bobSocket]) {
      const frame = await socket.next('chat_message');
      expect(frame).toMatchObject({
        room_id: roomId,
        message: {
          id: ack.message_id,
          content: 'Hello from WebSocket!',
          sender: { id: alice, username: `user-${alice.slice(0, 8)}` },
        },
      });
      expect(typeof frame.seq).toBe('number');
      expect(typeof (frame.message as { created_at: unknown }).created_at).toBe('string');
    }
    await Promise.all([aliceSocket.close(), bobSocket.close()]);
  });

  it('stores every message a client sent before closing its socket on the greeting', async () => {
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await bobSocket.next('connection_established');
    // what the seed's Python snippet does, eight times over: send at once, read the first frame, close. The
    // messages wait for the greeting and are handled one after another, so the close comes while most wait
    const aliceSocket = await connect(`/ws/chat/${roomId}/`, alice);
    const closeNow = () => aliceSocket.ws.close(1000);
    if (aliceSocket.frames.length > 0) closeNow();
    else aliceSocket.ws.once('message', closeNow);
    const contents = Array.from({ length: 8 }, (_, i) => `sent then closed ${i}`);
    for (const content of contents) aliceSocket.send({ type: 'chat_message', message: content });
    expect((await aliceSocket.closed).code).toBe(1000);
    expect(aliceSocket.frames.filter((frame) => frame.type === 'message_ack').length).toBeLessThan(8);

    await bobSocket.next((frame) => isContent(frame, contents.at(-1)!));
    const delivered = bobSocket.frames.filter((frame) =>
      contents.some((content) => isContent(frame, content)),
    );
    expect(delivered.map((frame) => (frame.message as { content: string }).content)).toEqual(contents);
    await bobSocket.close();
  });

  it('answers a retried client_id with the original message and delivers it once', async () => {
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await bobSocket.next('connection_established');
    const aliceSocket = await connect(`/ws/chat/${roomId}/`, alice);
    await aliceSocket.next('connection_established');
    const clientId = randomUUID();
    aliceSocket.send({ type: 'chat_message', message: 'only once', client_id: clientId });
    aliceSocket.send({ type: 'chat_message', message: 'only once', client_id: clientId });
    const first = await aliceSocket.next('message_ack');
    const second = await aliceSocket.next('message_ack');
    expect(first).toMatchObject({ client_id: clientId, created: true });
    expect(second).toMatchObject({ client_id: clientId, message_id: first.message_id });
    expect(second.position).toBe(first.position);

    // the same client_id with other content is a conflict, not a silent success
    aliceSocket.send({ type: 'chat_message', message: 'different', client_id: clientId });
    expect(await aliceSocket.next('error')).toMatchObject({
      code: 'idempotency_conflict',
      client_id: clientId,
    });

    aliceSocket.send({ type: 'chat_message', message: 'marker after the retries' });
    await bobSocket.next(
      (frame) => frame.type === 'chat_message' && isContent(frame, 'marker after the retries'),
    );
    const delivered = bobSocket.frames.filter((frame) => isContent(frame, 'only once'));
    expect(delivered).toHaveLength(1);
    await Promise.all([aliceSocket.close(), bobSocket.close()]);
  });

  it('relays typing to the others (not back to the typist) and lists current typists on connect', async () => {
    const aliceSocket = await connect(`/ws/chat/${roomId}/`, alice);
    await aliceSocket.next('connection_established');
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await bobSocket.next('connection_established');
    aliceSocket.send({ type: 'typing', is_typing: true });
    expect(await bobSocket.next('typing')).toMatchObject({
      user_id: alice,
      is_typing: true,
      room_id: roomId,
    });

    const lateBob = await connect(`/ws/chat/${roomId}/`, bob);
    const established = await lateBob.next('connection_established');
    expect(established.typing).toEqual([{ user_id: alice, username: `user-${alice.slice(0, 8)}` }]);

    aliceSocket.send({ type: 'typing', is_typing: false });
    expect(await bobSocket.next('typing')).toMatchObject({ user_id: alice, is_typing: false });
    aliceSocket.send({ type: 'ping' });
    await aliceSocket.next('pong');
    expect(aliceSocket.frames.filter((frame) => frame.type === 'typing')).toEqual([]);
    await Promise.all([aliceSocket.close(), bobSocket.close(), lateBob.close()]);
  });

  it('turns read_receipt and mark_room_read into read receipts and unread counts', async () => {
    const sent = await sendMessage(node.as(alice), { roomId, content: 'please read' });
    const last = await sendMessage(node.as(alice), { roomId, content: 'and this' });
    await waitForPosition(node.app.pg, last.position, 10_000, 'chat');
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    const established = await bobSocket.next('connection_established');
    expect(established.unread_count).toBeGreaterThanOrEqual(2);
    const aliceSocket = await connect(`/ws/chat/${roomId}/`, alice);
    await aliceSocket.next('connection_established');

    bobSocket.send({ type: 'read_receipt', message_id: sent.messageId });
    const receipt = await aliceSocket.next('read_receipt');
    expect(receipt).toMatchObject({ message_id: sent.messageId, user_id: bob, room_id: roomId });
    expect(typeof receipt.read_at).toBe('string');
    expect(await bobSocket.next('unread_count')).toEqual({
      type: 'unread_count',
      room_id: roomId,
      unread_count: 1,
    });

    bobSocket.send({ type: 'mark_room_read' });
    expect(await bobSocket.next('unread_count')).toEqual({
      type: 'unread_count',
      room_id: roomId,
      unread_count: 0,
    });
    // alice's own marker did not move: she gets no unread_count
    expect(aliceSocket.frames.some((frame) => frame.type === 'unread_count')).toBe(false);
    await Promise.all([aliceSocket.close(), bobSocket.close()]);
  });

  it('forwards everything else a participant sees: an edited message', async () => {
    const bobSocket = await connect(`/ws/chat/${roomId}/`, bob);
    await bobSocket.next('connection_established');
    const sent = await sendMessage(node.as(alice), { roomId, content: 'tpyo' });
    await bobSocket.next('chat_message');
    await editMessage(node.as(alice), { messageId: sent.messageId, content: 'typo' });
    expect(await bobSocket.next('message_edited')).toMatchObject({
      room_id: roomId,
      message: { id: sent.messageId, content: 'typo', is_edited: true },
    });
    await bobSocket.close();
  });

  it('refuses a non-participant before sending any room data (4003)', async () => {
    const socket = await connect(`/ws/chat/${roomId}/`, outsider);
    expect(await socket.closed).toEqual({ code: 4003, reason: 'not a participant' });
    expect(socket.frames).toEqual([]);
    const malformed = await connect('/ws/chat/not-a-room/', alice);
    expect((await malformed.closed).code).toBe(4003);
  });
});

describe('the user socket /ws/chat/?token=', () => {
  it('carries the rooms the client subscribes to, and only those', async () => {
    const socket = await connect('/ws/chat/', bob);
    expect(await socket.next()).toMatchObject({
      type: 'connection_established',
      room_id: null,
      user_id: bob,
    });
    socket.send({ type: 'subscribe', room_id: roomId });
    socket.send({ type: 'subscribe', room_id: otherRoomId });
    expect(await socket.next('subscribed')).toMatchObject({ room_id: roomId });
    expect(await socket.next('subscribed')).toMatchObject({ room_id: otherRoomId });

    await sendMessage(node.as(alice), { roomId, content: 'in the first room' });
    await sendMessage(node.as(alice), { roomId: otherRoomId, content: 'in the other room' });
    expect(await socket.next('chat_message')).toMatchObject({ room_id: roomId });
    expect(await socket.next('chat_message')).toMatchObject({ room_id: otherRoomId });

    // sending needs room_id here, and a subscription
    socket.send({ type: 'chat_message', message: 'where to?' });
    expect(await socket.next('error')).toMatchObject({ code: 'invalid_frame', field: 'room_id' });
    socket.send({ type: 'chat_message', room_id: otherRoomId, message: 'from the user socket' });
    expect(await socket.next('message_ack')).toMatchObject({ room_id: otherRoomId, created: true });

    socket.send({ type: 'unsubscribe', room_id: otherRoomId });
    expect(await socket.next('unsubscribed')).toMatchObject({ room_id: otherRoomId, reason: 'requested' });
    await sendMessage(node.as(alice), { roomId: otherRoomId, content: 'not for the socket any more' });
    await sendMessage(node.as(alice), { roomId, content: 'still subscribed here' });
    await socket.next((frame) => isContent(frame, 'still subscribed here'));
    expect(socket.frames.some((frame) => isContent(frame, 'not for the socket any more'))).toBe(false);
    await socket.close();
  });

  it('is told when the user is added to a room and taken out of one, subscribed or not', async () => {
    const carol = randomUUID();
    const socket = await connect('/ws/chat/', carol);
    await socket.next('connection_established');
    // a new room with carol in it, and an existing one she is added to
    const created = await createRoom(node.as(alice), {
      roomType: 'group',
      name: 'boiler',
      participantIds: [carol],
    });
    expect(await socket.next('room_added')).toMatchObject({
      room_id: created.roomId,
      room: { id: created.roomId, name: 'boiler', participant_count: 2 },
    });
    await addParticipant(node.as(alice), { roomId, userId: carol });
    expect(await socket.next('room_added')).toMatchObject({ room_id: roomId, room: { name: 'ops' } });

    // a room_added is enough to subscribe and read the room from the join on
    socket.send({ type: 'subscribe', room_id: roomId, last_seq: 0 });
    expect(await socket.next('subscribed')).toMatchObject({ room_id: roomId, recovered: true });
    await removeParticipant(node.as(alice), { roomId: created.roomId, userId: carol });
    expect(await socket.next('room_removed')).toEqual({
      type: 'room_removed',
      room_id: created.roomId,
      reason: 'removed',
    });
    // others' comings and goings are not carol's business
    await addParticipant(node.as(alice), { roomId: otherRoomId, userId: randomUUID() });
    await sendMessage(node.as(alice), { roomId, content: 'after the others joined' });
    await socket.next((frame) => isContent(frame, 'after the others joined'));
    expect(socket.frames.filter((frame) => frame.type === 'room_added')).toHaveLength(2);
    await socket.close();
  });

  it('refuses to subscribe a non-participant, and keeps the socket', async () => {
    const socket = await connect('/ws/chat/', outsider);
    await socket.next('connection_established');
    socket.send({ type: 'subscribe', room_id: roomId });
    expect(await socket.next('error')).toMatchObject({ code: 'not_a_participant', room_id: roomId });
    socket.send({ type: 'chat_message', room_id: roomId, message: 'sneaking in' });
    expect(await socket.next('error')).toMatchObject({ code: 'not_subscribed' });
    socket.send({ type: 'ping' });
    await socket.next('pong');
    expect(socket.frames.some((frame) => frame.type === 'chat_message')).toBe(false);
    await socket.close();
  });
});

function isContent(frame: { type: string } & Record<string, unknown>, content: string) {
  return frame.type === 'chat_message' && (frame.message as { content?: string }).content === content;
}
