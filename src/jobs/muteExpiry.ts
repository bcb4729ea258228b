// Timed mutes end on time: a ParticipantMuted with an end puts a delayed job on this queue, due at the
// end, and the job runs ExpireMute as the service, which records ParticipantUnmuted (the read model and
// every client then say unmuted). The job id is the mute event's, so a replayed event enqueues nothing
// twice; a mute lifted or changed before its end makes the job a no-op (decideExpireMute).
import { DelayedError, type Job } from 'bullmq';
import { expireMute } from '../commands/expireMute.ts';
import type { ParticipantMuted } from '../domain/events.ts';
import type { JobDefinition } from './job.ts';
import { systemContext } from './systemContext.ts';

export type MuteExpiryData = { roomId: string; userId: string; until: string; muteEventId: string };

export const muteExpiryJob: JobDefinition<MuteExpiryData> = {
  name: 'mute-expiry',
  concurrency: 4,
  eventTypes: ['ParticipantMuted'],

  async enqueue(queue, events) {
    const timed = events.filter((event) => (event.data as ParticipantMuted['data']).until !== null);
    await queue.addBulk(
      timed.map((event) => {
        const { roomId, userId, until } = event.data as ParticipantMuted['data'] & { until: string };
        return {
          name: 'expire',
          data: { roomId, userId, until, muteEventId: event.id },
          opts: { jobId: `mute-${event.id}`, delay: Math.max(0, Date.parse(until) - Date.now()) },
        };
      }),
    );
  },

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
