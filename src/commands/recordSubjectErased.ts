// RecordSubjectErased: appends SubjectErased once an erasure destroyed a person's keys and files.
import { decideRecordSubjectErased, erasureAggregate, type RecordSubjectErased } from '../domain/erasure.ts';
import { erasureStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function recordSubjectErased(
  ctx: CommandContext,
  input: RecordSubjectErased,
): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    erasureAggregate,
    erasureStream(input.erasureId),
    (state, context) => decideRecordSubjectErased(input, state, context),
  );
  return summaryOf(outcome);
}
