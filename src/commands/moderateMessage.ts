// The moderation policy in the write path: sends and edits (sendMessage.ts, editMessage.ts) are judged by
// the policy this node follows (src/moderation/policyFollower.ts, passed in the command context); the
// outcomes' events are decided in src/domain/moderationOutcomes.ts. Without a policy in the context (the
// service's own commands, some tests) nothing is judged.
import { MODERATION_ACTOR } from '../domain/actor.ts';
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

export function judge(ctx: CommandContext, content: string | null | undefined, roomType: RoomType): Verdict {
  if (!ctx.moderation || !content) return ALLOW;
  return judgeMessage(ctx.moderation.current(), content, roomType);
}

/**
 * Records a bounced write for the moderators and auditors, then throws the refusal. The sender is its
 * actor; the same text bounced again is recorded once.
 */
export async function bounce(
  ctx: CommandContext,
  verdict: JudgedRule,
  message: { messageId: string; roomId: string; content: string; edit: boolean },
): Promise<never> {
  const event = bouncedEvent(verdict, { ...message, senderId: ctx.actor.userId });
  await handleCommand(
    ctx,
    bounceAggregate,
    bounceStream(event.data.bounceId),
    (recorded) => (recorded ? [] : [event]),
    { assumeNewStream: true },
  );
  throw new MessageBouncedError(verdict);
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
