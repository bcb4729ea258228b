// Work due at a time (the end of a timed mute, of a silenced room), one delayed BullMQ job per participant
// and kind with an id derived from them, so that the producer (from events) and the reconciler (from the
// read models) name the same job. The producer follows changes: a new end replaces the job, a lift removes
// it. The reconciler only puts back what is missing (a flushed Redis) and retries what failed: the job
// itself checks, when it runs, that the end it was set for is still the one in place.
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { JobData } from './job.ts';

export type TimedWork<Data extends JobData> = { jobId: string; data: Data; dueAt: string };

const delayUntil = (dueAt: string) => Math.max(0, Date.parse(dueAt) - Date.now());

/** The job for `work`, replacing one for another end. A job running right now is left to finish. */
export async function schedule<Data extends JobData>(
  queue: Queue<Data>,
  work: TimedWork<Data>,
): Promise<void> {
  const existing = await queue.getJob(work.jobId);
  if (existing) {
    if (JSON.stringify(existing.data) === JSON.stringify(work.data)) return;
    // a running job finds its end changed and does nothing; the reconciler then schedules the new one
    if ((await existing.getState()) === 'active') return;
    await existing.remove();
  }
  await (queue as Queue).add('expire', work.data, { jobId: work.jobId, delay: delayUntil(work.dueAt) });
}

/** Removes the job, unless it is running (it then finds nothing to do). */
export async function unschedule(queue: Queue, jobId: string): Promise<void> {
  const existing = await queue.getJob(jobId);
  if (existing && (await existing.getState()) !== 'active') await existing.remove();
}

/** Puts back a job Redis lost, or retries one that failed; true when it did either. */
export async function ensureScheduled<Data extends JobData>(
  queue: Queue<Data>,
  work: TimedWork<Data>,
): Promise<boolean> {
  const existing = await queue.getJob(work.jobId);
  if (!existing) {
    await (queue as Queue).add('expire', work.data, { jobId: work.jobId, delay: delayUntil(work.dueAt) });
    return true;
  }
  if ((await existing.getState()) !== 'failed') return false;
  await existing.retry();
  return true;
}

/** A participant's timed end as the read model holds it (`sql` selects room_id, user_id, until). */
export type TimedRow = { roomId: string; userId: string; until: string };

/** The reconciler's pass for one kind: every row of `sql` gets its job back if Redis lost it. */
export async function putBack<Data extends JobData>(
  queue: Queue<Data>,
  pool: pg.Pool,
  sql: string,
  workFor: (row: TimedRow) => TimedWork<Data>,
): Promise<number> {
  const { rows } = await pool.query<{ room_id: string; user_id: string; until: Date }>(sql);
  let putBackCount = 0;
  for (const row of rows) {
    // as the events carry it: ISO text with milliseconds (the job compares it with the room's state)
    const timed = { roomId: row.room_id, userId: row.user_id, until: row.until.toISOString() };
    if (await ensureScheduled(queue, workFor(timed))) putBackCount++;
  }
  return putBackCount;
}
