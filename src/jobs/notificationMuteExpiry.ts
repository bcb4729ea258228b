// A participant's timed silence of a room's notifications ends on time: a RoomNotificationsMuted with an end
// puts a delayed job here, and at the end the service records RoomNotificationsMuted { muted: false }
// (ExpireNotificationMute), so the read model and the participant's clients stop saying silenced. One job
// per participant and room like the mute's (timedWork.ts): a new end replaces it, unsilencing removes it,
// the reconciler puts back what Redis lost from the read model's notifications_muted_until.
import { DelayedError, type Job } from 'bullmq';
import { expireNotificationMute } from '../commands/expireNotificationMute.ts';
import type { RoomNotificationsMuted } from '../domain/events.ts';
import type { JobDefinition } from './job.ts';
import { systemContext } from './systemContext.ts';
import { putBack, schedule, type TimedWork, unschedule } from './timedWork.ts';

export type NotificationMuteExpiryData = {
  roomId: string;
  userId: string;
  until: string;
  /** the silencing event, the end's cause; absent when the reconciler put the job back */
  muteEventId?: string;
};

const jobIdOf = (roomId: string, userId: string) => `silence_${roomId}_${userId}`;

const work = (data: NotificationMuteExpiryData): TimedWork<NotificationMuteExpiryData> => ({
  jobId: jobIdOf(data.roomId, data.userId),
  data,
  dueAt: data.until,
});

const TIMED_SILENCES = `SELECT room_id, user_id, notifications_muted_until AS until FROM chat_read.participants
  WHERE notifications_muted AND notifications_muted_until IS NOT NULL`;

export const notificationMuteExpiryJob: JobDefinition<NotificationMuteExpiryData> = {
  name: 'notification-mute-expiry',
  concurrency: 4,
  eventTypes: ['RoomNotificationsMuted'],

  async enqueue(queue, events) {
    for (const event of events) {
      const { roomId, userId, muted, until } = event.data as RoomNotificationsMuted['data'];
      if (muted && until) await schedule(queue, work({ roomId, userId, until, muteEventId: event.id }));
      else await unschedule(queue, jobIdOf(roomId, userId));
    }
  },

  reconcile: (queue, { pool }) =>
    putBack(queue, pool, TIMED_SILENCES, (row) =>
      work({ roomId: row.roomId, userId: row.userId, until: row.until }),
    ),

  async process(job: Job<NotificationMuteExpiryData>, { eventStore }, token?: string) {
    const { roomId, userId, until, muteEventId } = job.data;
    // a clock behind the one that set it: wait for the end rather than skip it
    const dueAt = Date.parse(until);
    if (dueAt > Date.now()) {
      await job.moveToDelayed(dueAt, token);
      throw new DelayedError();
    }
    await expireNotificationMute(systemContext(eventStore, job, muteEventId), { roomId, userId, until });
  },
};
