// What ops see of the job queues (`GET /api/ops/jobs/`, `npm run chat -- jobs status`): per queue, the
// depth and the jobs in each state, read from Redis, so every process shows the same whichever ones run
// the workers. Stalls are not a state BullMQ keeps (a stalled job goes back to waiting, or fails after
// too many stalls): each worker that finds one counts it in a hash of ours, the total since Redis last
// lost its data.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';

export type JobQueueStatus = {
  name: string;
  /** due and waiting for a worker: the queue's depth */
  waiting: number;
  active: number;
  /** due later (the ends of timed mutes and silences) */
  delayed: number;
  /** failed every attempt: kept for ops to retry */
  failed: number;
  /** found stalled (the worker running it stopped renewing its lock: it died or its event loop hung) */
  stalled: number;
};

const stalledKey = (config: Pick<Config, 'REDIS_PREFIX'>) => `${config.REDIS_PREFIX}jobs:stalled`;

/** Counts one stalled job of `queue` (a worker's 'stalled' event). */
export async function countStalled(
  redis: Redis,
  config: Pick<Config, 'REDIS_PREFIX'>,
  queue: string,
): Promise<void> {
  await redis.hincrby(stalledKey(config), queue, 1);
}

export async function jobQueueStatuses(
  queues: readonly Queue[],
  redis: Redis,
  config: Pick<Config, 'REDIS_PREFIX'>,
): Promise<JobQueueStatus[]> {
  const stalled = await redis.hgetall(stalledKey(config));
  return Promise.all(
    queues.map(async (queue) => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      return {
        name: queue.name,
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        stalled: Number(stalled[queue.name] ?? 0),
      };
    }),
  );
}
