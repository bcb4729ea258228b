// Runs the jobs of the registry in this process: a BullMQ queue and worker per job, and the producer
// that follows the event store and enqueues what events call for (eventFollower.ts). `npm start` runs
// them beside the app; `npm run worker` alone (src/jobs/worker.ts). Any number of processes may run them
// on one Redis: BullMQ hands each job to one worker, one producer leads.
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Infrastructure } from '../infrastructure/createInfrastructure.ts';
import { gaugeReadAtScrape, jobsFailed, jobsStalled } from '../metrics/metrics.ts';
import { startEventFollowers } from './eventFollower.ts';
import type { JobData, JobDefinition, JobRetries } from './job.ts';
import { countStalled } from './jobStatus.ts';
import { startReconciler } from './reconciler.ts';
import { JOBS } from './registry.ts';

export type JobsHandle = {
  /** every job's queue, by name (status, tests) */
  queues: ReadonlyMap<string, Queue<JobData>>;
  /** stops producing and taking jobs; a job still running after `timeoutMs` is abandoned (it runs again) */
  stop(timeoutMs?: number): Promise<void>;
};

/** BullMQ's own `worker.close()` waits for running jobs without a limit. */
const STOP_TIMEOUT_MS = 10_000;
/** kept for ops to see and retry (the board, `jobs status`); completed ones go at once */
const KEEP_FAILED = { count: 1_000 };
const RETRIES: JobRetries = { attempts: 5, backoff: { type: 'exponential', delay: 1_000 } };

const jobsPrefix = (config: Pick<Config, 'REDIS_PREFIX'>) => `${config.REDIS_PREFIX}bull`;

/**
 * A job's queue, as the runner's workers take from it: for the runner, and for a request that enqueues a
 * job itself (an audit export) on a connection of its own ('jobs' use: BullMQ needs no command timeout).
 */
export function jobQueue(
  connection: Redis,
  config: Pick<Config, 'REDIS_PREFIX'>,
  name: string,
  retries: JobRetries = RETRIES,
): Queue<JobData> {
  return new Queue<JobData>(name, {
    connection,
    prefix: jobsPrefix(config),
    defaultJobOptions: { ...retries, removeOnComplete: true, removeOnFail: KEEP_FAILED },
  });
}

export type StartJobsOptions = {
  jobs?: readonly JobDefinition<JobData>[];
  /** false: only run workers (a process that must not lead the producers or the reconciler) */
  produce?: boolean;
};

export function startJobs(
  infrastructure: Pick<Infrastructure, 'config' | 'pool' | 'eventStore' | 'logger' | 'redisConnection'> &
    Partial<Pick<Infrastructure, 'forgetCachedKeys'>>,
  options: StartJobsOptions = {},
): JobsHandle {
  const { config, pool, eventStore, logger } = infrastructure;
  const jobs = (options.jobs ?? JOBS).filter((job) => job.enabled?.(config) ?? true);
  // BullMQ's blocking commands need connections of their own, which it makes from this one
  const connection = infrastructure.redisConnection('jobs', 'bullmq');
  const prefix = jobsPrefix(config);
  const queues = new Map<string, Queue<JobData>>();
  const workers: Worker[] = [];
  const deps = { config, eventStore, pool, logger, forgetCachedKeys: infrastructure.forgetCachedKeys };
  for (const job of jobs) {
    const queue = jobQueue(connection, config, job.name, job.retries?.(config));
    const limiter = job.limiter?.(config);
    queues.set(job.name, queue);
    const worker = new Worker(
      job.name,
      (running: Job<JobData>, token?: string) => job.process(running, deps, token),
      {
        connection,
        prefix,
        concurrency: job.concurrency,
        ...(limiter ? { limiter } : {}),
        lockDuration: config.JOBS_STALL_AFTER_MS,
        stalledInterval: config.JOBS_STALL_AFTER_MS,
      },
    );
    // from zero, so that a dashboard shows the series before the first stall or failure
    jobsStalled.inc({ queue: job.name }, 0);
    jobsFailed.inc({ queue: job.name }, 0);
    worker.on('stalled', (jobId) => {
      jobsStalled.inc({ queue: job.name });
      logger.warn(
        { job: job.name, jobId },
        'job stalled: its worker stopped renewing the lock; it runs again',
      );
      countStalled(connection, config, job.name).catch((error: unknown) =>
        logger.warn({ err: error, job: job.name }, 'counting a stalled job failed'),
      );
    });
    worker.on('failed', (failed, error) => {
      jobsFailed.inc({ queue: job.name });
      logger.warn(
        { err: error, job: job.name, jobId: failed?.id, attempts: failed?.attemptsMade },
        'job failed',
      );
    });
    worker.on('error', (error) => logger.warn({ err: error, job: job.name }, 'job worker error'));
    workers.push(worker);
  }
  const reconciler =
    options.produce === false
      ? null
      : startReconciler({ jobs, queues, deps, intervalMs: config.JOBS_RECONCILE_INTERVAL_MS });
  const followers =
    options.produce === false
      ? null
      : startEventFollowers({
          pool,
          eventStore,
          logger,
          jobs: jobs.flatMap(({ name, eventTypes, enqueue, followFrom }) =>
            enqueue && eventTypes.length > 0
              ? [
                  {
                    name,
                    eventTypes,
                    enqueue: (events) => enqueue(queues.get(name)!, events),
                    ...(followFrom ? { followFrom } : {}),
                  },
                ]
              : [],
          ),
        });

  // depth by state, read from Redis when scraped (the queues are shared: every process shows the same)
  gaugeReadAtScrape(
    'chat_job_queue_jobs',
    'jobs in each BullMQ queue by state (waiting, active, delayed, failed)',
    ['queue', 'state'],
    async () => {
      const readings = [];
      for (const [name, queue] of queues) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        for (const [state, value] of Object.entries(counts))
          readings.push({ labels: { queue: name, state }, value });
      }
      return readings;
    },
  );

  return {
    queues,
    async stop(timeoutMs = STOP_TIMEOUT_MS) {
      await Promise.all([followers?.stop(), reconciler?.stop()]);
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const timedOut = await Promise.race([
        closing.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
      ]);
      if (timedOut) {
        logger.warn({ timeoutMs }, 'jobs still running at shutdown: abandoned, they will run again');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
