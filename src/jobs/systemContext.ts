// How a job runs a command: as the service itself (SYSTEM_ACTOR), or as the moderation policy for a
// moderation verdict (MODERATION_ACTOR), traced to the job and the event that called for it, so the
// recorded event says who and why.
import type { Job } from 'bullmq';
import type { CommandContext } from '../commands/context.ts';
import { type Actor, SYSTEM_ACTOR } from '../domain/actor.ts';
import type { EventStore } from '../eventstore/eventStore.ts';

export function systemContext(
  eventStore: EventStore,
  job: Job,
  causationId?: string,
  actor: Actor = SYSTEM_ACTOR,
): CommandContext {
  return {
    eventStore,
    actor,
    correlationId: job.id ?? job.name,
    ...(causationId ? { causationId } : {}),
  };
}
