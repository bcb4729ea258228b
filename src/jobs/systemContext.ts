// How a job runs a command: as the service itself (SYSTEM_ACTOR), traced to the job and the event that
// called for it, so the recorded event says who and why.
import type { Job } from 'bullmq';
import type { CommandContext } from '../commands/context.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import type { EventStore } from '../eventstore/eventStore.ts';

export function systemContext(eventStore: EventStore, job: Job, causationId?: string): CommandContext {
  return {
    eventStore,
    actor: SYSTEM_ACTOR,
    correlationId: job.id ?? job.name,
    ...(causationId ? { causationId } : {}),
  };
}
