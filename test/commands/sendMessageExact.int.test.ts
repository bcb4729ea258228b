// SendMessage with a warm state cache appends without reading the room, conditioned on the room stream
// still being at the cached revision: "a removed or muted participant cannot send" holds exactly, also
// against a removal running at the same moment or made by another process (another cache).
import { describe, expect, it } from 'vitest';
import { addParticipant } from '../../src/commands/addParticipant.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { muteParticipant } from '../../src/commands/muteParticipant.ts';
import { removeParticipant } from '../../src/commands/removeParticipant.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { createStateCache } from '../../src/commands/stateCache.ts';
import { messageIdForClientId, messageStream, roomStream } from '../../src/domain/streams.ts';
import { comparePositions, type EventStore, type RecordedEvent } from '../../src/eventstore/eventStore.ts';
import { as, createGroup, useEventStore } from './support.ts';

const store = await useEventStore('commands_send_exact');

/** The store, counting the calls that reach the database. */
function countingStore(inner: EventStore) {
  const calls = { reads: 0, appends: 0 };
  const counted: EventStore = {
    ...inner,
    appendToStream: (...args) => {
      calls.appends++;
      return inner.appendToStream(...args);
    },
    readStream: (...args) => {
      calls.reads++;
      return inner.readStream(...args);
    },
  };
  return { counted, calls };
}

/** The MessageSent of `sender`'s client_id, if it was stored (message ids derive from the client_id). */
async function storedSend(sender: string, clientId: string): Promise<RecordedEvent | undefined> {
  return (await store.readStream(messageStream(messageIdForClientId(sender, clientId))))[0];
}

describe('SendMessage on a cached room', () => {
  it('costs one round trip: the conditioned append, no read', async () => {
    const roomId = await createGroup(store, 'alice', 'bob');
    const { counted, calls } = countingStore(store);
    const bob = as(counted, 'bob', { stateCache: createStateCache() });
    await sendMessage(bob, { roomId, content: 'first: loads the room' });
    calls.reads = 0;
    calls.appends = 0;
    await sendMessage(bob, { roomId, content: 'second: cached room' });
    expect(calls).toEqual({ reads: 0, appends: 1 });
  });

  it('a direct room with both block lists cached also sends in one round trip', async () => {
    const { counted, calls } = countingStore(store);
    const cache = createStateCache();
    const { roomId } = await createRoom(as(store, 'dora'), { roomType: 'direct', participantIds: ['ed'] });
    await sendMessage(as(counted, 'dora', { stateCache: cache }), { roomId, content: 'hi' });
    calls.reads = 0;
    calls.appends = 0;
    await sendMessage(as(counted, 'dora', { stateCache: cache }), { roomId, content: 'again' });
    expect(calls).toEqual({ reads: 0, appends: 1 });
  });

  it('is refused with not_a_participant after a removal another process made, and appends nothing', async () => {
    const roomId = await createGroup(store, 'alice', 'bob');
    const bob = as(store, 'bob', { stateCache: createStateCache() });
    await sendMessage(bob, { roomId, content: 'before' }); // bob's cache now holds the room
    await removeParticipant(as(store, 'alice'), { roomId, userId: 'bob' });
    await expect(sendMessage(bob, { roomId, content: 'after', clientId: 'stale-1' })).rejects.toMatchObject({
      code: 'not_a_participant',
    });
    expect(await storedSend('bob', 'stale-1')).toBeUndefined();
  });

  it('is refused with participant_muted after a mute another process made', async () => {
    const roomId = await createGroup(store, 'alice', 'bob');
    const bob = as(store, 'bob', { stateCache: createStateCache() });
    await sendMessage(bob, { roomId, content: 'before' });
    await muteParticipant(as(store, 'alice'), { roomId, userId: 'bob' });
    await expect(sendMessage(bob, { roomId, content: 'after' })).rejects.toMatchObject({
      code: 'participant_muted',
    });
  });

  it('a refusal on a cached room is checked against the current room: a user added since may send', async () => {
    const roomId = await createGroup(store, 'alice', 'bob');
    const carol = as(store, 'carol', { stateCache: createStateCache() });
    await expect(sendMessage(carol, { roomId, content: 'let me in' })).rejects.toMatchObject({
      code: 'not_a_participant',
    });
    await addParticipant(as(store, 'alice'), { roomId, userId: 'carol' });
    const sent = await sendMessage(carol, { roomId, content: 'thanks' });
    expect(sent.created).toBe(true);
  });

  it('no message of a participant removed during a burst of their sends comes after the removal', async () => {
    const roomId = await createGroup(store, 'alice', 'bob');
    const bob = as(store, 'bob', { stateCache: createStateCache() });
    await sendMessage(bob, { roomId, content: 'warm-up' });
    const burst = Array.from({ length: 60 }, (_, n) => `burst-${n}`);
    const sends = burst.map((clientId) => sendMessage(bob, { roomId, content: clientId, clientId }));
    const removal = removeParticipant(as(store, 'alice'), { roomId, userId: 'bob' });
    const outcomes = await Promise.allSettled(sends);
    expect((await removal).changed).toBe(true);

    const [removed] = await store.readStream(roomStream(roomId), { direction: 'backwards', limit: 1 });
    expect(removed!.type).toBe('ParticipantRemoved');
    for (const [n, outcome] of outcomes.entries()) {
      const stored = await storedSend('bob', burst[n]!);
      if (outcome.status === 'fulfilled') {
        // stored, and before the removal in the global order
        expect(comparePositions(stored!.position, removed!.position)).toBeLessThan(0);
      } else {
        expect(outcome.reason).toMatchObject({ code: 'not_a_participant' });
        expect(stored).toBeUndefined();
      }
    }
  });
});
