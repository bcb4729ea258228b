// ChangeModerationRule: a moderator changes a rule's name, action, room types or what it matches.
import { type ChangeModerationRule, decideChangeModerationRule } from '../domain/moderationPolicy.ts';
import type { CommandContext } from './context.ts';
import { handlePolicyCommand, type ModerationRuleResult } from './handlePolicyCommand.ts';

export function changeModerationRule(
  ctx: CommandContext,
  input: ChangeModerationRule,
): Promise<ModerationRuleResult> {
  return handlePolicyCommand(ctx, input.ruleId, (policy, context) =>
    decideChangeModerationRule(input, policy, context),
  );
}
