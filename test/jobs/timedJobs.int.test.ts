// Timed work beyond the first mute test (muteExpiry.int.test.ts): a silenced room's notifications come
// back on time; changing a mute's end reschedules its job and an unmute removes it; and with the test's
// Redis keys flushed while ends are pending, the reconciler puts the jobs back from the read models and
// the unmutes still happen.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muteParticipant } from '../../src/commands/muteParticipant.ts';
import { muteRoomNotifications } from '../../src/commands/muteRoomNotifications.ts';
import { unmuteParticipant } from '../../src/commands/unmuteParticipant.ts';
import { migrate } from '../../src/db/migrate.ts';
import { roomStream } from '../../src/domain/streams.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { type ChatNode, startChatNode } from '../realtime/support/chatNode.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { startJobsOn } from './support/jobsOnNode.ts';

const RECONCILE_INTERVAL_MS = 1_000;
let database: TestDatabase;
let node: ChatNode;
let jobs: JobsHandle;
const prefix = testRedisPrefix('timed_jobs');
const alice = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase('timed_jobs');
  await migrate(database.url);
  node = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: prefix,
    env: { JOBS_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS) },
  });
  jobs = startJobsOn(node);
});
afterAll(async () => {
  await jobs?.stop();
  await node?.stop();
  await database?.drop();
});

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

async function eventuallyTrue(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

const roomEvents = async (roomId: string, type: string) =>
  (await node.app.eventStore.readStream(roomStream(roomId))).filter((event) => event.type === type);

const participant = async (roomId: string, userId: string) =>
  (
    await node.app.pg.query<{ muted: boolean; notifications_muted: boolean }>(
      'SELECT muted, notifications_muted FROM chat_read.participants WHERE room_id = $1 AND user_id = $2',
      [roomId, userId],
    )
  ).rows[0]!;

describe('timed jobs', () => {
  it('a silenced room’s notifications come back at the end, by the service', async () => {
    const bob = randomUUID();
    const roomId = await node.groupRoom(alice, [bob]);
    const until = inSeconds(2);
    await muteRoomNotifications(node.as(bob), { roomId, muted: true, until });
    expect(
      await eventuallyTrue(async () => (await roomEvents(roomId, 'RoomNotificationsMuted')).length === 2),
    ).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
    const [, ended] = await roomEvents(roomId, 'RoomNotificationsMuted');
    expect(ended!.data).toEqual({ roomId, userId: bob, muted: false, until: null });
    expect(ended!.metadata.actorId).toBe('system:jobs');
    expect(await eventuallyTrue(async () => !(await participant(roomId, bob)).notifications_muted)).toBe(
      true,
    );
  });

  it('a changed end reschedules the job, an unmute removes it', async () => {
    const bob = randomUUID();
    const carol = randomUUID();
    const roomId = await node.groupRoom(alice, [bob, carol]);
    const queue = jobs.queues.get('mute-expiry')!;
    const jobId = (user: string) => `mute_${roomId}_${user}`;

    // a long mute shortened to two seconds ends after two seconds
    await muteParticipant(node.as(alice), { roomId, userId: bob, until: inSeconds(600) });
    const shortened = inSeconds(2);
    await muteParticipant(node.as(alice), { roomId, userId: bob, until: shortened });
    expect(
      await eventuallyTrue(async () => (await roomEvents(roomId, 'ParticipantUnmuted')).length === 1),
    ).toBe(true);
    const [unmute] = await roomEvents(roomId, 'ParticipantUnmuted');
    expect(unmute!.data).toMatchObject({ userId: bob, unmutedBy: 'system:jobs' });

    // carol's mute, lifted by hand: its job goes
    await muteParticipant(node.as(alice), { roomId, userId: carol, until: inSeconds(600) });
    expect(await eventuallyTrue(async () => (await queue.getJob(jobId(carol))) !== undefined)).toBe(true);
    await unmuteParticipant(node.as(alice), { roomId, userId: carol });
    expect(await eventuallyTrue(async () => (await queue.getJob(jobId(carol))) === undefined)).toBe(true);
  });

  it('after Redis lost the jobs (the test’s keys flushed), the reconciler puts them back and the ends happen', async () => {
    const bob = randomUUID();
    const carol = randomUUID();
    const roomId = await node.groupRoom(alice, [bob, carol]);
    const until = inSeconds(4);
    await muteParticipant(node.as(alice), { roomId, userId: bob, until });
    const silenced = await muteRoomNotifications(node.as(carol), { roomId, muted: true, until });
    expect(await waitForPosition(node.app.pg, silenced.position, 10_000, 'chat')).toBe(true);
    const muteJobs = jobs.queues.get('mute-expiry')!;
    const silenceJobs = jobs.queues.get('notification-mute-expiry')!;
    expect(
      await eventuallyTrue(
        async () =>
          (await muteJobs.getJob(`mute_${roomId}_${bob}`)) !== undefined &&
          (await silenceJobs.getJob(`silence_${roomId}_${carol}`)) !== undefined,
      ),
    ).toBe(true);

    // what a FLUSHALL would do to this deployment: every key under its prefix gone
    const keys = await node.app.redis.keys(`${prefix}bull:*`);
    expect(keys.length).toBeGreaterThan(0);
    // one DEL: every key gone at once (reading the job back afterwards raced with the reconciler, which may
    // already have put it back)
    expect(await node.app.redis.del(...keys)).toBe(keys.length);

    expect(
      await eventuallyTrue(async () => (await roomEvents(roomId, 'ParticipantUnmuted')).length === 1, 30_000),
    ).toBe(true);
    expect(
      await eventuallyTrue(
        async () => (await roomEvents(roomId, 'RoomNotificationsMuted')).length === 2,
        30_000,
      ),
    ).toBe(true);
    expect(await eventuallyTrue(async () => !(await participant(roomId, bob)).muted)).toBe(true);
    expect(await eventuallyTrue(async () => !(await participant(roomId, carol)).notifications_muted)).toBe(
      true,
    );
  });
});
