// The jobs seam end to end (src/jobs): a timed mute puts a delayed job on a BullMQ queue through the
// producer that follows the event store, and at its end the service unmutes: clients get the participant
// frame, the read model stops saying muted. Replayed and repeated jobs record one unmute.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muteParticipant } from '../../src/commands/muteParticipant.ts';
import { unmuteParticipant } from '../../src/commands/unmuteParticipant.ts';
import { migrate } from '../../src/db/migrate.ts';
import { roomStream } from '../../src/domain/streams.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { getMembership } from '../../src/projections/chat/queries/participants.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { type ChatNode, startChatNode } from '../realtime/support/chatNode.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { startJobsOn } from './support/jobsOnNode.ts';

let database: TestDatabase;
let node: ChatNode;
let jobs: JobsHandle;
const alice = randomUUID();
const bob = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase('jobs_mute');
  await migrate(database.url);
  node = await startChatNode({ databaseUrl: database.url, redisPrefix: testRedisPrefix('jobs_mute') });
  jobs = startJobsOn(node);
});
afterAll(async () => {
  await jobs?.stop();
  await node?.stop();
  await database?.drop();
});

const unmutes = async (roomId: string) =>
  (await node.app.eventStore.readStream(roomStream(roomId))).filter((e) => e.type === 'ParticipantUnmuted');

describe('timed mutes', () => {
  it('end on time: the participant frame arrives and the read model says unmuted', async () => {
    const roomId = await node.groupRoom(alice, [bob]);
    const socket = await node.connect(`/ws/chat/${roomId}/`, alice);
    await socket.next('connection_established');
    const until = new Date(Date.now() + 2_000).toISOString();
    const muted = await muteParticipant(node.as(alice), { roomId, userId: bob, until });
    const mutedFrame = await socket.next('participant_updated');
    expect(mutedFrame.participant).toMatchObject({ user: { id: bob }, muted: true, muted_until: until });

    const unmutedFrame = await socket.next('participant_updated', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
    expect(unmutedFrame.participant).toMatchObject({ user: { id: bob }, muted: false, muted_until: null });
    expect(await getMembership(node.app.pg, roomId, bob)).toMatchObject({ muted: false, mutedUntil: null });
    const [unmute] = await unmutes(roomId);
    expect(unmute!.data).toMatchObject({ userId: bob, unmutedBy: 'system:jobs' });
    expect(unmute!.metadata.causationId).toBe(
      (await node.app.eventStore.readStream(roomStream(roomId))).find((e) => e.type === 'ParticipantMuted')!
        .id,
    );
    expect(muted.changed).toBe(true);
  });

  it('leaves a mute alone that was lifted before its end, and records one unmute however often the job runs', async () => {
    const roomId = await node.groupRoom(alice, [bob]);
    const until = new Date(Date.now() + 1_500).toISOString();
    await muteParticipant(node.as(alice), { roomId, userId: bob, until });
    const lifted = await unmuteParticipant(node.as(alice), { roomId, userId: bob });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await unmutes(roomId)).map((e) => e.data)).toEqual([{ roomId, userId: bob, unmutedBy: alice }]);

    // a second timed mute, and its job run again by hand after it did its work: still one unmute by the service
    const again = new Date(Date.now() + 1_000).toISOString();
    const mute = await muteParticipant(node.as(alice), { roomId, userId: bob, until: again });
    await waitForPosition(node.app.pg, mute.position, 10_000, 'chat');
    for (let waited = 0; (await unmutes(roomId)).length < 2 && waited < 15_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const queue = jobs.queues.get('mute-expiry')!;
    const muteEvent = (await node.app.eventStore.readStream(roomStream(roomId))).at(-2)!;
    expect(muteEvent.type).toBe('ParticipantMuted');
    const rerun = await queue.add(
      'expire',
      { roomId, userId: bob, until: again, muteEventId: muteEvent.id },
      { jobId: `rerun-${randomUUID()}` },
    );
    // a completed job is removed from Redis at once: its state is then unknown
    const finished = async () => ['completed', 'unknown'].includes(await rerun.getState());
    for (let waited = 0; !(await finished()) && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await finished()).toBe(true);
    const byService = (await unmutes(roomId)).filter(
      (e) => (e.data as { unmutedBy: string }).unmutedBy === 'system:jobs',
    );
    expect(byService).toHaveLength(1);
    expect(lifted.changed).toBe(true);
  });
});
