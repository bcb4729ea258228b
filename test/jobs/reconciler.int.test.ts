// The reconciler on a fresh Redis (a first start): it puts the retention schedule in place and warns of
// nothing, since nothing was lost; the warning is for timed work Redis lost (timedJobs.int.test.ts puts
// back a flushed mute and silence).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import {
  createInfrastructure,
  type Infrastructure,
  type InfrastructureLogger,
} from '../../src/infrastructure/createInfrastructure.ts';
import { RETENTION_JOB } from '../../src/jobs/retention.ts';
import { type JobsHandle, startJobs } from '../../src/jobs/startJobs.ts';
import { prepareReadModels } from '../../src/projections/checkpoints.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';

const RECONCILE_INTERVAL_MS = 200;
const EVERY_MS = 3_600_000;
let database: TestDatabase;
let infrastructure: Infrastructure;
let jobs: JobsHandle;
const lines: { level: string; message: string }[] = [];
const logger: InfrastructureLogger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (_object: unknown, message?: string) => lines.push({ level, message: message ?? '' }),
  ]),
) as unknown as InfrastructureLogger;

beforeAll(async () => {
  database = await createTestDatabase('reconciler');
  await migrate(database.url);
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('reconciler'),
    LOG_LEVEL: 'silent',
    JOBS_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
    RETENTION_RUN_EVERY_MS: String(EVERY_MS),
  });
  infrastructure = await createInfrastructure(config, { process: 'worker', logger });
  // the empty read models the timed jobs are re-derived from
  await prepareReadModels(infrastructure.pool, PROJECTIONS);
  jobs = startJobs(infrastructure);
});
afterAll(async () => {
  await jobs?.stop();
  await infrastructure?.close();
  await database?.drop();
});

it('puts the retention schedule in place on a fresh Redis without a warning', async () => {
  const queue = jobs.queues.get(RETENTION_JOB)!;
  for (let waited = 0; !(await queue.getJobScheduler('retention-schedule')); waited += 50) {
    if (waited > 10_000) throw new Error('no retention schedule');
    await sleep(50);
  }
  expect(Number((await queue.getJobScheduler('retention-schedule'))!.every)).toBe(EVERY_MS);
  // a few more passes, each of which would warn if it counted anything as put back
  await sleep(RECONCILE_INTERVAL_MS * 4);
  expect(lines.filter((line) => line.message.startsWith('reconcil'))).toEqual([]);
  expect(lines).toContainEqual({ level: 'info', message: 'retention schedule in place' });
  expect(lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([]);
});
