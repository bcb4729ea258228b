// RecordErasureQueued: an erasure a legal hold covers is recorded as waiting (docs/privacy.md).
import { decideRecordErasureQueued, erasureAggregate, type RecordErasureQueued } from '../domain/erasure.ts';
import { erasureStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function recordErasureQueued(
  ctx: CommandContext,
  input: RecordErasureQueued,
): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    erasureAggregate,
    erasureStream(input.erasureId),
    (state, context) => decideRecordErasureQueued(input, state, context),
  );
  return summaryOf(outcome);
}
