// RemoveModerationRule: a moderator removes a rule; messages it judged keep their outcome events.
import { decideRemoveModerationRule, type RemoveModerationRule } from '../domain/moderationPolicy.ts';
import type { CommandContext } from './context.ts';
import { handlePolicyCommand, type ModerationRuleResult } from './handlePolicyCommand.ts';

export function removeModerationRule(
  ctx: CommandContext,
  input: RemoveModerationRule,
): Promise<ModerationRuleResult> {
  return handlePolicyCommand(ctx, input.ruleId, (policy, context) =>
    decideRemoveModerationRule(input, policy, context),
  );
}
