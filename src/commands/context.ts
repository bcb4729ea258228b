// What every command handler receives: the event store, who acts, and the ids that trace the request.
import type { Actor, WhoAndWhen } from '../domain/actor.ts';
import type { CompiledPolicy } from '../domain/moderationRules.ts';
import type { EventStore } from '../eventstore/eventStore.ts';
import type { SlowModeGate } from './slowModeGate.ts';
import type { StateCache } from './stateCache.ts';
import type { Escalation } from './violationCounter.ts';

export type CommandContext = {
  eventStore: EventStore;
  actor: Actor;
  /** the clock, replaceable in tests; defaults to the system clock */
  now?: () => Date;
  /** the request (REST call, WebSocket frame, job) this command belongs to; a fresh id when absent */
  correlationId?: string;
  /** the event or command that caused this one; defaults to the correlation id */
  causationId?: string;
  /**
   * the revision the caller last saw of the stream the command changes (an HTTP If-Match): a command on a
   * stream that has moved on since is refused with StaleRevision, never applied over a change unseen
   */
  ifRevision?: bigint;
  /** aggregate states kept between commands (see stateCache.ts); optional, correctness never depends on it */
  stateCache?: StateCache;
  /**
   * holds each participant's slow-mode slot across nodes (src/limits/slowModeGate.ts); the REST and
   * socket edges always pass it. Without it (the service's own commands) slow mode is not applied
   */
  slowMode?: SlowModeGate;
  /**
   * the moderation policy this node follows (src/moderation/policyFollower.ts): sends and edits are
   * judged by it (moderateMessage.ts). The REST and socket edges always pass it
   */
  moderation?: { current(): CompiledPolicy };
  /** repeated violations of the policy mute the user (moderateMessage.ts); absent: never */
  escalation?: Escalation;
};

export function whoAndWhenOf(ctx: CommandContext): WhoAndWhen {
  return { actor: ctx.actor, now: ctx.now?.() ?? new Date() };
}
