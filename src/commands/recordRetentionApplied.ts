// RecordRetentionApplied: appends RetentionApplied for a room a retention run reached (docs/privacy.md).
import {
  decideRecordRetentionApplied,
  type RecordRetentionApplied,
  roomRetentionAggregate,
} from '../domain/retention.ts';
import { retentionStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function recordRetentionApplied(
  ctx: CommandContext,
  input: RecordRetentionApplied,
): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    roomRetentionAggregate,
    retentionStream(input.roomId),
    (state, context) => decideRecordRetentionApplied(input, state, context),
  );
  return summaryOf(outcome);
}
