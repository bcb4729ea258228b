// SetRetentionPolicy: replaces the retention rules (docs/privacy.md); the retention job reads them.
import {
  decideSetRetentionPolicy,
  retentionPolicyAggregate,
  type SetRetentionPolicy,
} from '../domain/retention.ts';
import { RETENTION_POLICY_STREAM } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function setRetentionPolicy(
  ctx: CommandContext,
  input: SetRetentionPolicy,
): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    retentionPolicyAggregate,
    RETENTION_POLICY_STREAM,
    (state, context) => decideSetRetentionPolicy(input, state, context),
  );
  return summaryOf(outcome);
}
