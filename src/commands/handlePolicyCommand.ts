// The shape of the moderation policy's commands: a decision on the one moderation-policy stream.
import type { WhoAndWhen } from '../domain/actor.ts';
import type { ModerationPolicyEvent } from '../domain/events.ts';
import { type ModerationPolicyState, moderationPolicyAggregate } from '../domain/moderationPolicy.ts';
import { MODERATION_POLICY_STREAM } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export type ModerationRuleResult = CommandSummary & { ruleId: string };

export async function handlePolicyCommand(
  ctx: CommandContext,
  ruleId: string,
  decide: (policy: ModerationPolicyState, context: WhoAndWhen) => ModerationPolicyEvent[],
): Promise<ModerationRuleResult> {
  const outcome = await handleCommand(ctx, moderationPolicyAggregate, MODERATION_POLICY_STREAM, decide);
  return { ruleId, ...summaryOf(outcome) };
}
