// Retention on its schedule (docs/privacy.md, "Retention"): a BullMQ job scheduler puts a run on this
// queue every RETENTION_RUN_EVERY_MS (daily), and a run asked over REST
// (POST /api/privacy/retention/runs/) is a job here too. One run at a time per process; a run is
// idempotent (what it destroyed is found gone, its events are recorded once per room and cutoff), so a
// retried or doubled run changes nothing more. The run's report is the job's return value.
import type { Job } from 'bullmq';
import { type RetentionReport, runRetention } from '../privacy/applyRetention.ts';
import { createPostgresLegalHolds } from '../privacy/legalHolds.ts';
import { createLocalDiskStorage } from '../storage/localDiskStorage.ts';
import type { JobDefinition } from './job.ts';
import { systemContext } from './systemContext.ts';

export type RetentionRunData = {
  /** the UTC day the run counts from (YYYY-MM-DD); absent: the day it runs */
  today?: string;
};

export const RETENTION_JOB = 'retention';
const SCHEDULER_ID = 'retention-schedule';

export const retentionJob: JobDefinition<RetentionRunData> = {
  name: RETENTION_JOB,
  concurrency: 1,
  eventTypes: [],

  // The schedule lives in Redis: put in place when Redis has none (a fresh one, or one that lost it),
  // changed when the setting did. Neither loses a run (BullMQ runs the first of a new schedule at once),
  // so neither counts as work put back: the reconciler's warning is for timed work Redis lost.
  async reconcile(queue, { config, logger }) {
    const every = config.RETENTION_RUN_EVERY_MS;
    const scheduled = await queue.getJobScheduler(SCHEDULER_ID);
    if (every === 0) {
      if (scheduled) await queue.removeJobScheduler(SCHEDULER_ID);
      return 0;
    }
    if (scheduled && Number(scheduled.every) === every) return 0;
    await queue.upsertJobScheduler(SCHEDULER_ID, { every }, { name: RETENTION_JOB, data: {} });
    logger.info({ job: RETENTION_JOB, every }, 'retention schedule in place');
    return 0;
  },

  async process(job: Job<RetentionRunData>, { config, pool, eventStore, forgetCachedKeys, logger }) {
    const report: RetentionReport = await runRetention(
      systemContext(eventStore, job),
      {
        pool,
        legalHolds: createPostgresLegalHolds(pool),
        attachments: await createLocalDiskStorage(config.ATTACHMENTS_DIR),
        forgetCachedKeys: forgetCachedKeys ?? (() => {}),
      },
      { dryRun: false, ...(job.data.today ? { today: job.data.today } : {}) },
    );
    logger.info(
      { job: RETENTION_JOB, jobId: job.id, rooms: report.rooms.length, today: report.today },
      'retention run done',
    );
    return report;
  },
};
