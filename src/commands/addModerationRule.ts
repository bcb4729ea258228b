// AddModerationRule: a moderator adds a rule to the moderation policy. The route picks the rule id, so a
// retried request with the same id and rule records nothing.
import { type AddModerationRule, decideAddModerationRule } from '../domain/moderationPolicy.ts';
import type { CommandContext } from './context.ts';
import { handlePolicyCommand, type ModerationRuleResult } from './handlePolicyCommand.ts';

export function addModerationRule(
  ctx: CommandContext,
  input: AddModerationRule,
): Promise<ModerationRuleResult> {
  return handlePolicyCommand(ctx, input.ruleId, (policy, context) =>
    decideAddModerationRule(input, policy, context),
  );
}
