// A job for the stalled-worker test: it appends one event whose id comes from the job's id (a second run
// of the same job appends nothing: the store takes it as an idempotent retry). Run with `hold`, it first
// says so in Redis and then never finishes, as a worker that dies or hangs mid-job.
import { v5 as uuidv5 } from 'uuid';
import type { JobDefinition } from '../../../src/jobs/job.ts';

export const HELD_JOB = 'held-job';
const NAMESPACE = '6a3e8c52-4f0e-4d35-9a55-0f1c2b7d9e11';

export function heldJob(options: { hold: boolean; onStarted?: () => Promise<void> }): JobDefinition {
  return {
    name: HELD_JOB,
    eventTypes: [],
    concurrency: 1,
    async process(job, { eventStore }) {
      await options.onStarted?.();
      if (options.hold) await new Promise(() => {});
      await eventStore.appendToStream(
        `held-${job.id}`,
        [
          {
            id: uuidv5(String(job.id), NAMESPACE),
            type: 'HeldJobDone',
            data: { job: job.id },
            metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
          },
        ],
        { expectedRevision: 'any' },
      );
    },
  };
}
