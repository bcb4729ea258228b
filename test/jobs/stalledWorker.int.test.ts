// A worker killed mid-job (`kill -9`, no chance to clean up): another worker finds the job stalled once
// its lock lapses (JOBS_STALL_AFTER_MS), runs it again, and its outcome is there once; the stall is
// counted where ops read the queues. Running the same job once more changes nothing (idempotent by the
// job's id).
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createInfrastructure, type Infrastructure } from '../../src/infrastructure/createInfrastructure.ts';
import { jobQueueStatuses } from '../../src/jobs/jobStatus.ts';
import { type JobsHandle, jobQueue, startJobs } from '../../src/jobs/startJobs.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { TEST_JWT_SECRET } from '../support/tokens.ts';
import { HELD_JOB, heldJob } from './support/heldJob.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const WORKER = fileURLToPath(new URL('./support/heldJobWorker.ts', import.meta.url));

let database: TestDatabase;
let env: Record<string, string>;
let config: Config;
let infrastructure: Infrastructure;
let redis: Redis;
let queue: Queue;
let child: ChildProcess | undefined;
let jobs: JobsHandle | undefined;

beforeAll(async () => {
  database = await createTestDatabase('stalled_worker');
  await migrate(database.url);
  env = {
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('stalled_worker'),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    JOBS_STALL_AFTER_MS: '1000',
  };
  config = loadConfig(env);
  infrastructure = await createInfrastructure(config, { process: 'worker' });
  redis = new Redis(config.REDIS_URL);
  queue = jobQueue(redis, config, HELD_JOB);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await jobs?.stop();
  await queue?.close();
  redis?.disconnect();
  await infrastructure?.close();
  await database?.drop();
});

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (await check()) return true;
  }
  return false;
}

const outcomes = async () => (await infrastructure.eventStore.readStream(`held-job-1`)).length;

it('runs a job again once its worker is killed mid-job, with one outcome, and counts the stall', async () => {
  child = spawn(NODE, [WORKER], { env: { ...process.env, ...env }, stdio: 'inherit' });
  await queue.add('run', {}, { jobId: 'job-1' });
  expect(await until(async () => (await redis.get(`${env.REDIS_PREFIX}held-started`)) === '1')).toBe(true);
  child.kill('SIGKILL');

  jobs = startJobs(infrastructure, { produce: false, jobs: [heldJob({ hold: false })] });
  expect(await until(async () => (await outcomes()) > 0)).toBe(true);
  const [status] = await jobQueueStatuses([queue], redis, config);
  expect(status).toMatchObject({ name: HELD_JOB, stalled: 1, failed: 0 });

  // the same job once more (a producer's replay, a retry): still one outcome
  await queue.add('run', {}, { jobId: 'job-1' });
  expect(
    await until(
      async () =>
        (await queue.getJobCounts('completed', 'waiting', 'active')).waiting === 0 &&
        (await queue.getJobCounts('active')).active === 0,
    ),
  ).toBe(true);
  await sleep(500);
  expect(await outcomes()).toBe(1);
});
