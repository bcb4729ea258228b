// Room and participant commands against the real PostgreSQL event store: what is recorded, what a second
// attempt answers, and races between concurrent commands on one stream.
import { describe, expect, it } from 'vitest';
import { addParticipant } from '../../src/commands/addParticipant.ts';
import { archiveRoom } from '../../src/commands/archiveRoom.ts';
import { blockUser } from '../../src/commands/blockUser.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { leaveRoom } from '../../src/commands/leaveRoom.ts';
import { removeParticipant } from '../../src/commands/removeParticipant.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { setParticipantAdmin } from '../../src/commands/setParticipantAdmin.ts';
import { createStateCache } from '../../src/commands/stateCache.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { directRoomId, roomStream } from '../../src/domain/streams.ts';
import { as, createGroup, racingReadsOf, useEventStore } from './support.ts';

const store = await useEventStore('commands_rooms');

const groupWith = (...members: string[]) => createGroup(store, 'alice', ...members);

const eventTypes = async (roomId: string) => (await store.readStream(roomStream(roomId))).map((e) => e.type);

describe('CreateRoom', () => {
  it('records the room with the creator as admin and metadata for auditors', async () => {
    const ctx = { ...as(store, 'alice'), correlationId: '0190f000-0000-7000-8000-00000000c0de' };
    const result = await createRoom(ctx, {
      roomType: 'task',
      name: 'Fix sink',
      participantIds: ['bob'],
      taskId: '42',
    });
    expect(result).toMatchObject({ created: true, changed: true, revision: 0n });
    expect(result.room.participants.alice?.isAdmin).toBe(true);
    const [event] = await store.readStream(roomStream(result.roomId));
    expect(event?.position).toBeDefined();
    expect(event?.data).toMatchObject({ roomType: 'task', taskId: '42', createdBy: 'alice' });
    expect(event?.metadata).toMatchObject({
      actorId: 'alice',
      roomId: result.roomId,
      correlationId: ctx.correlationId,
      causationId: ctx.correlationId,
      schemaVersion: 1,
    });
  });

  it('a direct room is unique per pair: asking again, from either side, returns the existing room', async () => {
    const first = await createRoom(as(store, 'erin'), { roomType: 'direct', participantIds: ['frank'] });
    const again = await createRoom(as(store, 'frank'), { roomType: 'direct', participantIds: ['erin'] });
    expect(first).toMatchObject({ roomId: directRoomId('erin', 'frank'), created: true });
    expect(again).toMatchObject({
      roomId: first.roomId,
      created: false,
      changed: false,
      position: first.position,
    });
    expect(await eventTypes(first.roomId)).toEqual(['RoomCreated']);
  });

  it('both users opening their direct room at the same moment get one room', async () => {
    const results = await Promise.all([
      createRoom(as(store, 'gina'), { roomType: 'direct', participantIds: ['hank'] }),
      createRoom(as(store, 'hank'), { roomType: 'direct', participantIds: ['gina'] }),
    ]);
    expect(results.map((r) => r.roomId)).toEqual([
      directRoomId('gina', 'hank'),
      directRoomId('gina', 'hank'),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await eventTypes(results[0].roomId)).toEqual(['RoomCreated']);
  });

  it('a blocked user cannot open a direct room with the blocker', async () => {
    await blockUser(as(store, 'ivy'), { userId: 'jack' });
    await expect(
      createRoom(as(store, 'jack'), { roomType: 'direct', participantIds: ['ivy'] }),
    ).rejects.toMatchObject({
      code: 'user_blocked',
    });
    expect(await store.readStream(roomStream(directRoomId('ivy', 'jack')))).toEqual([]);
  });
});

describe('participants', () => {
  it('two admins removing the same participant at once: one ParticipantRemoved, both succeed', async () => {
    const roomId = await groupWith('bob', 'carol');
    await setParticipantAdmin(as(store, 'alice'), { roomId, userId: 'carol', isAdmin: true });
    const racing = racingReadsOf(store, roomStream(roomId), 2);
    const results = await Promise.all([
      removeParticipant(as(racing, 'alice'), { roomId, userId: 'bob' }),
      removeParticipant(as(racing, 'carol'), { roomId, userId: 'bob' }),
    ]);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect(results[0].revision).toBe(results[1].revision);
    const removed = (await store.readStream(roomStream(roomId))).filter(
      (e) => e.type === 'ParticipantRemoved',
    );
    expect(removed).toHaveLength(1);
  });

  it('a removed participant can no longer write', async () => {
    const roomId = await groupWith('bob');
    await sendMessage(as(store, 'bob'), { roomId, content: 'before' });
    await removeParticipant(as(store, 'alice'), { roomId, userId: 'bob' });
    await expect(sendMessage(as(store, 'bob'), { roomId, content: 'after' })).rejects.toMatchObject({
      code: 'not_a_participant',
    });
  });

  it('the last admin cannot leave while others remain; after handing over admin they can', async () => {
    const roomId = await groupWith('bob');
    const error = await leaveRoom(as(store, 'alice'), { roomId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'last_admin' });
    await setParticipantAdmin(as(store, 'alice'), { roomId, userId: 'bob', isAdmin: true });
    await expect(leaveRoom(as(store, 'alice'), { roomId })).resolves.toMatchObject({ changed: true });
    await expect(addParticipant(as(store, 'alice'), { roomId, userId: 'zoe' })).rejects.toMatchObject({
      code: 'not_a_participant',
    });
  });

  it('a cached room state catches up with what another process recorded', async () => {
    const roomId = await groupWith('bob', 'carol');
    const aliceCache = createStateCache();
    await addParticipant(as(store, 'alice', { stateCache: aliceCache }), { roomId, userId: 'dave' });
    // another process (no shared cache) archives the room
    await archiveRoom(as(store, 'alice'), { roomId });
    await expect(
      addParticipant(as(store, 'alice', { stateCache: aliceCache }), { roomId, userId: 'erin' }),
    ).rejects.toMatchObject({ code: 'room_archived' });
    expect(await eventTypes(roomId)).toEqual(['RoomCreated', 'ParticipantAdded', 'RoomArchived']);
  });
});
