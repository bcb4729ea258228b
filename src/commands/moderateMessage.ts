// The moderation policy in the write path: sends and edits (sendMessage.ts, editMessage.ts) are judged by
// the policy this node follows (src/moderation/policyFollower.ts, passed in the command context); the
// outcomes' events are decided in src/domain/moderationOutcomes.ts. Without a policy in the context (the
// service's own commands, some tests) nothing is judged.
import { MODERATION_ACTOR } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { RoomType } from '../domain/events.ts';
import {
  bounceAggregate,
  bouncedEvent,
  flaggedEvent,
  flagReportId,
  type JudgedRule,
  MessageBouncedError,
} from '../domain/moderationOutcomes.ts';
import { ALLOW, judgeMessage, type Verdict } from '../domain/moderationRules.ts';
import { reportAggregate } from '../domain/report.ts';
import { bounceStream, reportStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand } from './handleCommand.ts';
import { muteParticipant } from './muteParticipant.ts';

export function judge(ctx: CommandContext, content: string | null | undefined, roomType: RoomType): Verdict {
  if (!ctx.moderation || !content) return ALLOW;
  return judgeMessage(ctx.moderation.current(), content, roomType);
}

/**
 * Records a refused write for the moderators and auditors, once its refusal is final (the command's
 * catch, never its decision); the sender is its actor and the same text bounced again is recorded once.
 * It counts as a violation (escalate).
 */
export async function recordBounce(ctx: CommandContext, refusal: MessageBouncedError): Promise<void> {
  const event = bouncedEvent(refusal.verdict, { ...refusal.write, senderId: ctx.actor.userId });
  await handleCommand(
    ctx,
    bounceAggregate,
    bounceStream(event.data.bounceId),
    (recorded) => (recorded ? [] : [event]),
    { assumeNewStream: true },
  );
  await escalate(ctx, refusal.write.roomId, event.data.bounceId);
}

/** Runs a write; a bounce it ends in is recorded before it is answered. */
export function recordingBounces<T>(ctx: CommandContext, write: Promise<T>): Promise<T> {
  return write.catch(async (error: unknown) => {
    if (error instanceof MessageBouncedError) await recordBounce(ctx, error);
    throw error;
  });
}

/**
 * Counts a violation (a bounce, or a send stored blocked) by the actor in the room; at the policy's
 * threshold the moderation policy mutes them there for a while, as a moderator would (not in direct
 * rooms, where moderators do not act: the refusal there is swallowed; an outage is not).
 */
export async function escalate(ctx: CommandContext, roomId: string, violationId: string): Promise<void> {
  const escalation = ctx.escalation;
  if (!escalation || escalation.violations === 0) return;
  const userId = ctx.actor.userId;
  const count = await escalation.counter.record({ roomId, userId, id: violationId }, escalation.windowMs);
  if (count < escalation.violations) return;
  const now = ctx.now?.() ?? new Date();
  await muteParticipant(
    {
      eventStore: ctx.eventStore,
      actor: MODERATION_ACTOR,
      causationId: ctx.correlationId ?? violationId,
      stateCache: ctx.stateCache,
    },
    { roomId, userId, until: new Date(now.getTime() + escalation.muteMs).toISOString() },
  ).catch((error: unknown) => {
    if (!(error instanceof DomainError)) throw error;
  });
}

/** Puts a flagged message on the moderators' queue: a report by the policy, one per message. */
export async function flag(
  ctx: CommandContext,
  verdict: JudgedRule,
  message: { messageId: string; roomId: string },
): Promise<void> {
  await handleCommand(
    { ...ctx, actor: MODERATION_ACTOR, causationId: ctx.correlationId },
    reportAggregate,
    reportStream(flagReportId(message.messageId)),
    (report) => (report ? [] : [flaggedEvent(verdict, message)]),
    { assumeNewStream: true },
  );
}
