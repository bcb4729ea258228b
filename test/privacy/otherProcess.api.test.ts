// Destroyed keys leave every process's memory, not only the one that destroyed them (docs/privacy.md,
// "What other processes hold"): two apps on one PostgreSQL and one Redis, each with its own key caches
// and command states. After an erasure asked on the first, the second no longer opens the person's
// text with keys it had cached, holds no command state with that text, and seals their next message with
// a fresh key (with the destroyed one cached, that message would read as erased to everyone). After a
// retention run on the first (its job), the second no longer opens the days it destroyed. A process that
// was cut off from Redis when the notice went drops its keys and command states once it is back. Keys
// destroyed with no notice at all (its sender cut off from Redis, or stopped before it published) leave
// the second process at its next read of the key store's count of destructions.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startAppJobs } from '../../src/app.ts';
import { messageStream } from '../../src/domain/streams.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { createLocalKeyWrapper } from '../../src/privacy/keyWrapper.ts';
import { createPostgresKeyStore } from '../../src/privacy/postgresKeyStore.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startSecondApp, startTestApp, type TestApp } from '../api/support/testApp.ts';
import { startTcpProxy } from '../support/tcpProxy.ts';
import { appendAsOf, runRetentionJob } from './support/retentionRuns.ts';

const MARKER = `other${randomBytes(6).toString('hex')}`;

/** the first process: projector, jobs, and where the privacy officer asks */
let t: TestApp;
let jobs: JobsHandle;
/** the second process, on the same stores */
let second: App;
let secondApp: Awaited<ReturnType<typeof startSecondApp>>;
let officer: UserClient;

beforeAll(async () => {
  t = await startTestApp('privacy_other_process', { RETENTION_RUN_EVERY_MS: '0' });
  jobs = startAppJobs(t.app);
  secondApp = await startSecondApp(t);
  second = secondApp.app;
  officer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
});
afterAll(async () => {
  await jobs?.stop();
  await secondApp?.stop();
  await t?.stop();
});

/** the content field of a message's events as `app` (the second process by default) reads them */
const contentsOnSecond = async (messageId: string, app = second) =>
  (await app.eventStore.readStream(messageStream(messageId))).map(
    (event) => (event.data as { content?: string | null }).content,
  );

/** polls `check` for up to `ms`: a notice through Redis takes a moment */
async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

async function groupRoom(creator: UserClient, other: UserClient, name: string): Promise<string> {
  const room = await creator.post('/api/chat/rooms/', {
    name,
    room_type: 'group',
    participant_ids: [other.userId],
  });
  expect(room.status, JSON.stringify(room.body)).toBe(201);
  return room.body.id;
}

describe('another process on the same stores', () => {
  it('drops an erased person’s keys and command states, and seals their next message with a fresh key', async () => {
    const aliceId = uuidv4();
    // alice writes through the second process: its caches hold her keys and her message's state
    const alice = await clientFor(second, aliceId, { username: 'alice' });
    const bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
    const roomId = await groupRoom(alice, bob, 'Erasure');
    const sent = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: `sent ${MARKER}` });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const edited = await alice.patch(`/api/chat/messages/${sent.body.id}/`, { content: `edited ${MARKER}` });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const stream = messageStream(sent.body.id);
    expect(await contentsOnSecond(sent.body.id)).toEqual([`sent ${MARKER}`, `edited ${MARKER}`]);
    expect(JSON.stringify(second.commandStateCache.get(stream, 'message')?.state)).toContain(MARKER);

    const erased = await officer.post('/api/privacy/erasures/', { user_id: aliceId });
    expect(erased.status, JSON.stringify(erased.body)).toBe(201);
    expect(erased.body).toMatchObject({ status: 'erased' });

    expect(
      await eventually(async () =>
        (await contentsOnSecond(sent.body.id)).every((content) => content === null),
      ),
    ).toBe(true);
    expect(JSON.stringify(second.commandStateCache.get(stream, 'message')?.state ?? null)).not.toContain(
      MARKER,
    );

    // her next message, sent through the second process, is readable by bob on the first
    const next = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'after the erasure' });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    const read = await bob.get(`/api/chat/rooms/${roomId}/messages/?wait_for=${next.body.position}`);
    expect(read.status).toBe(200);
    const shown = read.body.results.find((m: { id: string }) => m.id === next.body.id);
    expect(shown).toMatchObject({ content: 'after the erasure' });
  });

  it('no longer opens what a retention run on the first destroyed', async () => {
    const carol = await clientFor(t.app, uuidv4(), { username: 'carol' });
    const dave = await clientFor(t.app, uuidv4(), { username: 'dave' });
    const roomId = await groupRoom(carol, dave, 'Retention');
    // a message 100 days old, written as the encrypting store writes one (that day's key)
    const messageId = uuidv4();
    await appendAsOf(
      t.app,
      {
        type: 'MessageSent',
        data: {
          messageId,
          roomId,
          senderId: carol.userId,
          senderUsername: 'carol',
          messageType: 'text',
          content: `old ${MARKER}`,
        },
      },
      new Date(Date.now() - 100 * 86_400_000).toISOString(),
    );
    expect(await contentsOnSecond(messageId)).toEqual([`old ${MARKER}`]);

    const policy = await officer.put('/api/privacy/retention/', {
      rules: [{ room_id: roomId, days: 30, mode: 'shred' }],
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    await runRetentionJob(officer);

    expect(await eventually(async () => (await contentsOnSecond(messageId))[0] === null)).toBe(true);
  });

  it('drops the keys and command states of a destruction no notice told it of', async () => {
    const gina = await clientFor(second, uuidv4(), { username: 'gina' });
    const hugo = await clientFor(t.app, uuidv4(), { username: 'hugo' });
    const roomId = await groupRoom(gina, hugo, 'Unannounced');
    const sent = await gina.post(`/api/chat/rooms/${roomId}/messages/`, { content: `quiet ${MARKER}` });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const stream = messageStream(sent.body.id);
    expect(await contentsOnSecond(sent.body.id)).toEqual([`quiet ${MARKER}`]);
    expect(JSON.stringify(second.commandStateCache.get(stream, 'message')?.state)).toContain(MARKER);

    // what an erasure whose process stopped before its notice leaves: the keys destroyed, nobody told
    const { config } = t.app;
    const keyStore = createPostgresKeyStore({
      pool: t.app.pg,
      wrapper: createLocalKeyWrapper(config.PRIVACY_MASTER_KEYS, config.PRIVACY_MASTER_KEY_ID),
    });
    expect(await keyStore.destroy({ subjectId: gina.userId })).not.toHaveLength(0);

    // the second process's next read of the count of destructions (every 5 s by default)
    expect(
      await eventually(async () => second.commandStateCache.get(stream, 'message') === undefined, 20_000),
    ).toBe(true);
    expect(await contentsOnSecond(sent.body.id)).toEqual([null]);
  });

  it('drops its keys and command states when it is back from a lost Redis connection that missed a notice', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    // the Redis reconnect alone: no read of the count of destructions would tell it
    const cutOff = await startSecondApp(t, proxy, { PRIVACY_KEY_CHECK_MS: 0 });
    try {
      const erin = await clientFor(cutOff.app, uuidv4(), { username: 'erin' });
      const frank = await clientFor(t.app, uuidv4(), { username: 'frank' });
      const roomId = await groupRoom(erin, frank, 'Cut off');
      const sent = await erin.post(`/api/chat/rooms/${roomId}/messages/`, { content: `cut ${MARKER}` });
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      expect(await contentsOnSecond(sent.body.id, cutOff.app)).toEqual([`cut ${MARKER}`]);
      const stream = messageStream(sent.body.id);
      const stateOnCutOff = () => JSON.stringify(cutOff.app.commandStateCache.get(stream, 'message')?.state);
      expect(stateOnCutOff()).toContain(MARKER);

      await proxy.cut();
      const erased = await officer.post('/api/privacy/erasures/', { user_id: erin.userId });
      expect(erased.body).toMatchObject({ status: 'erased' });
      // nothing told it: its cached key still opens the message, its command state still holds the text
      expect(await contentsOnSecond(sent.body.id, cutOff.app)).toEqual([`cut ${MARKER}`]);
      expect(stateOnCutOff()).toContain(MARKER);

      await proxy.restore();
      expect(
        await eventually(async () => (await contentsOnSecond(sent.body.id, cutOff.app))[0] === null, 20_000),
      ).toBe(true);
      expect(stateOnCutOff() ?? '').not.toContain(MARKER);
    } finally {
      await proxy.restore();
      await cutOff.stop();
      await proxy.close();
    }
  });
});
