// What a job is to the jobs runner (startJobs.ts): a BullMQ queue with its processor, and the events that
// put work on it (or none: a job a request enqueues, such as an audit export, through jobQueue). BullMQ delivers at least once, so every job is idempotent by a domain key: its id is
// derived from the event that called for it, and its command decides nothing twice.
import type { Job, Queue } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { EventStore, RecordedEvent } from '../eventstore/eventStore.ts';
import type { InfrastructureLogger } from '../infrastructure/createInfrastructure.ts';

/** what a job carries: plain JSON (BullMQ stores it in Redis) */
export type JobData = Record<string, unknown>;

export type JobDeps = {
  config: Config;
  eventStore: EventStore;
  pool: pg.Pool;
  logger: InfrastructureLogger;
  /**
   * drops the data keys held unwrapped, here and in the other processes (a job that destroyed some);
   * absent: nothing cached
   */
  forgetCachedKeys?: () => void;
};

export interface JobDefinition<Data extends JobData = JobData> {
  /** the queue's name, and its producer's checkpoint */
  readonly name: string;
  /** event types that may call for a job: the producer reads only these from the store (none: no producer) */
  eventTypes: readonly string[];
  /**
   * where its producer starts the first time it runs: 'start' (the default) reads the whole store, 'head'
   * only what comes after (a job turned on later that should not do the past's work: the webhook)
   */
  followFrom?: 'start' | 'head';
  /** enqueues what `events` call for (job ids from the events: a replay enqueues nothing twice) */
  enqueue?(queue: Queue<Data>, events: readonly RecordedEvent[]): Promise<void>;
  /**
   * timed work only: re-derives from the read models the jobs that should exist and puts back those Redis
   * lost (a flush, a failover) or that failed; returns how many. The reconciler runs it on start and every
   * JOBS_RECONCILE_INTERVAL_MS (reconciler.ts)
   */
  reconcile?(queue: Queue<Data>, deps: JobDeps): Promise<number>;
  /** runs one job; a throw retries it with backoff, up to the queue's attempts; BullMQ keeps what it returns */
  process(job: Job<Data>, deps: JobDeps, token?: string): Promise<unknown>;
  /** jobs run at once per process */
  concurrency: number;
  /** whether this process runs the job at all (a job the configuration may leave off); absent: always */
  enabled?(config: Config): boolean;
  /** attempts and backoff of its jobs, when not the runner's (startJobs.ts: 5 attempts from 1 s) */
  retries?(config: Config): JobRetries;
  /** at most `max` of its jobs started per `duration` ms, by all its workers on this Redis (BullMQ's limiter) */
  limiter?(config: Config): { max: number; duration: number } | undefined;
}

export type JobRetries = { attempts: number; backoff: { type: 'exponential'; delay: number } };
