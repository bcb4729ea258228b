// Ops: projection status and a rebuild request over HTTP, the same numbers the CLI shows. Only the `ops`
// role sees these paths; a plain user gets the same 404 as for anything else they may not see.

import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAppJobs } from '../../src/app.ts';
import { participantId } from '../../src/domain/streams.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

let t: TestApp;
let ops: UserClient;
let alice: UserClient;

beforeAll(async () => {
  t = await startTestApp('ops_api');
  ops = await clientFor(t.app, uuidv4(), { username: 'ops', roles: ['ops'] });
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
});
afterAll(async () => t?.stop());

async function liveStatus() {
  const answer = await ops.get('/api/ops/projections/');
  expect(answer.status).toBe(200);
  return answer.body.projections[0];
}

async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

it('hides the ops endpoints from users without the ops role', async () => {
  const status = await alice.get('/api/ops/projections/');
  expect(status.status).toBe(404);
  expect(status.body.code).toBe('not_found');
  expect((await alice.post('/api/ops/projections/rebuild/')).status).toBe(404);
});

it('shows the live projection catching up with what was written', async () => {
  const room = await alice.post('/api/chat/rooms/', { name: 'Lobby', room_type: 'group' });
  expect(room.status).toBe(201);
  const sent = await alice.post(`/api/chat/rooms/${room.body.id}/messages/`, { content: 'hello' });
  // the store's head only counts what every older transaction in the cluster has let through: wait for
  // the message itself, not just for the projection to reach a head that may not show it yet
  const status = await until(
    liveStatus,
    (s) => s.lag === 0 && s.position === s.head && s.position >= sent.body.position,
  );
  expect(status).toMatchObject({ state: 'running', lag: 0, rebuild: null });
  expect(status.head).not.toBeNull();
});

it('rebuilds on request, reporting progress, and ends with the same rooms', async () => {
  const before = await alice.get('/api/chat/rooms/');
  const { generation } = await liveStatus();
  const requested = await ops.post('/api/ops/projections/rebuild/');
  expect(requested.status).toBe(202);
  expect(requested.body.requested).toBe(true);

  const finished = await until(liveStatus, (s) => s.state === 'running' && s.generation !== generation);
  expect(finished.generation).not.toBe(generation);
  expect(finished).toMatchObject({ state: 'running', rebuild: null });
  const after = await alice.get('/api/chat/rooms/');
  expect(after.body.results).toEqual(before.body.results);
});

it('counts each job queue for ops, over REST and the CLI: a timed mute is one delayed job; others get 404', async () => {
  expect((await alice.get('/api/ops/jobs/')).status).toBe(404);
  const jobs = startAppJobs(t.app);
  try {
    const bob = uuidv4();
    const room = (
      await alice.post('/api/chat/rooms/', { name: 'jobs', room_type: 'group', participant_ids: [bob] })
    ).body.id;
    const end = new Date(Date.now() + 600_000).toISOString();
    expect(
      (
        await alice.patch(`/api/chat/participants/${participantId(room, bob)}/`, {
          muted: true,
          muted_until: end,
        })
      ).status,
    ).toBe(200);
    const mutes = await until(
      async () => {
        const answer = await ops.get('/api/ops/jobs/');
        expect(answer.status).toBe(200);
        return answer.body.queues.find((queue: { name: string }) => queue.name === 'mute-expiry');
      },
      (queue: { delayed: number } | undefined) => queue?.delayed === 1,
    );
    expect(mutes).toEqual({ name: 'mute-expiry', waiting: 0, active: 0, delayed: 1, failed: 0, stalled: 0 });
    // the CLI reads the same from Redis, with no server of its own
    const { stdout } = await run(NODE, [CLI, 'jobs', 'status', '--json'], {
      env: {
        ...process.env,
        DATABASE_URL: t.app.config.DATABASE_URL,
        REDIS_PREFIX: t.app.config.REDIS_PREFIX,
      },
    });
    expect(JSON.parse(stdout)).toContainEqual(mutes);
  } finally {
    await jobs.stop();
  }
});
