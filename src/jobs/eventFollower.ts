// The producer side of the jobs: follows the event store from a checkpoint of its own (table
// job_followers) and hands each job definition the events it handles, to enqueue what they call for.
// Enqueueing is idempotent (job ids derive from event ids), so the checkpoint is written lazily: after a
// crash the follower reads a few events again and enqueues nothing twice.
//
// One process follows at a time (src/infrastructure/leadership.ts); the others stand by.
import type pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import type { EventStore, RecordedEvent } from '../eventstore/eventStore.ts';
import { decodePosition, encodePosition } from '../eventstore/eventStore.ts';
import type { InfrastructureLogger } from '../infrastructure/createInfrastructure.ts';
import { onAbort, pause, runAsLeader } from '../infrastructure/leadership.ts';

export type FollowedJob = {
  name: string;
  eventTypes: readonly string[];
  enqueue(events: readonly RecordedEvent[]): Promise<void>;
  /** 'head': a job followed for the first time starts at the store's head, not its first event */
  followFrom?: 'start' | 'head';
};

export type EventFollowerOptions = {
  pool: pg.Pool;
  eventStore: EventStore;
  jobs: readonly FollowedJob[];
  logger: InfrastructureLogger;
  /** how often a standby tries to lead, and a failed follower retries (ms) */
  retryMs?: number;
  /** how often a follower's checkpoint is written while events flow (ms) */
  checkpointMs?: number;
  /**
   * how often a caught-up follower reads the store at most (ms): jobs are work for later, so a quarter
   * of a second costs them nothing and saves the store a read per append under load
   */
  readIntervalMs?: number;
};

/** session advisory lock held by the one process that follows (projections hold 7_420_002) */
const FOLLOWER_LOCK = 7_420_003;

export function startEventFollowers(options: EventFollowerOptions): { stop(): Promise<void> } {
  const { pool, eventStore, logger } = options;
  const retryMs = options.retryMs ?? 1_000;
  const checkpointMs = options.checkpointMs ?? 1_000;
  const readIntervalMs = options.readIntervalMs ?? 250;
  const stopping = new AbortController();

  const running = runAsLeader({
    pool,
    lock: FOLLOWER_LOCK,
    stopping: stopping.signal,
    retryMs,
    logger,
    lead: async (term) => void (await Promise.all(options.jobs.map((job) => follow(job, term)))),
  });

  /** One job's producer for as long as this term leads; its failures are retried here, alone. */
  async function follow(job: FollowedJob, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await followOnce(job, signal);
      } catch (error) {
        if (signal.aborted) return;
        logger.error({ err: error, job: job.name }, 'job producer failed; retrying');
        await pause(retryMs, signal);
      }
    }
  }

  async function followOnce(job: FollowedJob, signal: AbortSignal): Promise<void> {
    const head = job.followFrom === 'head' ? await eventStore.headPosition() : null;
    await pool.query(
      `INSERT INTO job_followers (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [job.name, head ? encodePosition(head) : '0'],
    );
    const { rows } = await pool.query<{ position: string }>(
      'SELECT position FROM job_followers WHERE name = $1',
      [job.name],
    );
    let saved = rows[0]!.position;
    let reached = saved;
    const save = async () => {
      if (reached === saved) return;
      const position = reached;
      await inTransaction(pool, async (client) => {
        // a lost move re-reads a few events and enqueues nothing twice: no WAL flush to wait for
        await client.query('SET LOCAL synchronous_commit = off');
        await client.query('UPDATE job_followers SET position = $2, updated_at = now() WHERE name = $1', [
          job.name,
          position,
        ]);
      });
      saved = position;
    };
    const subscription = eventStore.subscribeToAll({
      ...(saved === '0' ? {} : { fromPosition: decodePosition(saved) }),
      filter: { eventTypes: job.eventTypes },
      minReadIntervalMs: readIntervalMs,
    });
    // a stop that came during the reads above closes it at once (a SIGTERM right after start once hung
    // the shutdown until its timeout)
    const stopClosingOnAbort = onAbort(signal, () => void subscription.close());
    // the subscription's reach counts the events it skipped too, once the ones it gave are enqueued
    const advance = () => {
      const position = subscription.reached();
      const encoded = position && encodePosition(position);
      if (encoded && encoded > reached) reached = encoded;
    };
    const timer = setInterval(() => {
      advance();
      save().catch((error: unknown) => logger.warn({ err: error, job: job.name }, 'job checkpoint failed'));
    }, checkpointMs);
    try {
      for await (const events of subscription) {
        if (signal.aborted) break;
        await job.enqueue(events);
        reached = encodePosition(events.at(-1)!.position);
      }
    } finally {
      clearInterval(timer);
      stopClosingOnAbort();
      await subscription.close();
      await save().catch(() => {});
    }
  }

  return {
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
