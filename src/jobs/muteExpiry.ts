// Timed mutes end on time: a ParticipantMuted with an end puts a delayed job on this queue, due at the
// end, and the job runs ExpireMute as the service, which records ParticipantUnmuted (the read model and
// every client then say unmuted). One job per participant and room (timedWork.ts): a new end replaces it,
// a mute without an end or an unmute removes it, and the reconciler puts back what Redis lost from the
// read model's muted_until. A job whose mute was lifted or changed meanwhile records nothing
// (decideExpireMute).
import { DelayedError, type Job } from 'bullmq';
import { expireMute } from '../commands/expireMute.ts';
import type { ParticipantMuted, ParticipantUnmuted } from '../domain/events.ts';
import type { JobDefinition } from './job.ts';
import { systemContext } from './systemContext.ts';
import { putBack, schedule, type TimedWork, unschedule } from './timedWork.ts';

export type MuteExpiryData = {
  roomId: string;
  userId: string;
  until: string;
  /** the mute's event, the unmute's cause; absent when the reconciler put the job back */
  muteEventId?: string;
};

const jobIdOf = (roomId: string, userId: string) => `mute_${roomId}_${userId}`;

const work = (data: MuteExpiryData): TimedWork<MuteExpiryData> => ({
  jobId: jobIdOf(data.roomId, data.userId),
  data,
  dueAt: data.until,
});

/** Timed mutes in the read model, ended or not: each should have its job until the service ends it. */
const TIMED_MUTES = `SELECT room_id, user_id, muted_until AS until FROM chat_read.participants
  WHERE muted AND muted_until IS NOT NULL`;

export const muteExpiryJob: JobDefinition<MuteExpiryData> = {
  name: 'mute-expiry',
  concurrency: 4,
  eventTypes: ['ParticipantMuted', 'ParticipantUnmuted'],

  async enqueue(queue, events) {
    // in order: a mute, then its lift, in one batch leaves no job
    for (const event of events) {
      const { roomId, userId } = event.data as ParticipantUnmuted['data'];
      const until = event.type === 'ParticipantMuted' ? (event.data as ParticipantMuted['data']).until : null;
      if (until) await schedule(queue, work({ roomId, userId, until, muteEventId: event.id }));
      else await unschedule(queue, jobIdOf(roomId, userId));
    }
  },

  reconcile: (queue, { pool }) =>
    putBack(queue, pool, TIMED_MUTES, (row) =>
      work({ roomId: row.roomId, userId: row.userId, until: row.until }),
    ),

  async process(job: Job<MuteExpiryData>, { eventStore }, token?: string) {
    const { roomId, userId, until, muteEventId } = job.data;
    // this node's clock may run behind the one that set the mute: wait for the end rather than skip it
    const dueAt = Date.parse(until);
    if (dueAt > Date.now()) {
      await job.moveToDelayed(dueAt, token);
      throw new DelayedError();
    }
    await expireMute(systemContext(eventStore, job, muteEventId), { roomId, userId, until });
  },
};
