// Redis keeps nothing the event store cannot give back: a flushed or failed-over Redis loses the delayed
// jobs of timed work (the ends of mutes and silences), and the producer will not enqueue them again (its
// checkpoint is past their events). The reconciler re-derives them from the read models on start and
// every `intervalMs`, and puts back what is missing or failed, so a lost job delays its work by at most one
// interval. One process reconciles at a time (its own advisory lock); putting back is idempotent anyway
// (job ids from the participant and room).
import type { Queue } from 'bullmq';
import { pause, runAsLeader } from '../infrastructure/leadership.ts';
import type { JobData, JobDefinition, JobDeps } from './job.ts';

/** session advisory lock of the one process that reconciles (projections 7_420_002, producers 7_420_003) */
const RECONCILER_LOCK = 7_420_004;

export type ReconcilerOptions = {
  jobs: readonly JobDefinition<JobData>[];
  queues: ReadonlyMap<string, Queue<JobData>>;
  deps: JobDeps;
  intervalMs: number;
};

/** One pass over every job that reconciles; returns how many jobs each put back. */
export async function reconcileOnce(
  options: Omit<ReconcilerOptions, 'intervalMs'>,
): Promise<Record<string, number>> {
  const putBack: Record<string, number> = {};
  for (const job of options.jobs) {
    if (!job.reconcile) continue;
    putBack[job.name] = await job.reconcile(options.queues.get(job.name)!, options.deps);
  }
  return putBack;
}

export function startReconciler(options: ReconcilerOptions): { stop(): Promise<void> } {
  const { deps, intervalMs } = options;
  const stopping = new AbortController();
  const running = runAsLeader({
    pool: deps.pool,
    lock: RECONCILER_LOCK,
    stopping: stopping.signal,
    retryMs: intervalMs,
    logger: deps.logger,
    async lead(term) {
      while (!term.aborted) {
        try {
          const putBack = await reconcileOnce(options);
          if (Object.values(putBack).some((count) => count > 0))
            deps.logger.warn({ putBack }, 'reconciler put back timed jobs Redis had lost or that failed');
        } catch (error) {
          deps.logger.error({ err: error }, 'reconciling timed jobs failed; trying again next interval');
        }
        await pause(intervalMs, term);
      }
    },
  });
  return {
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
