// RecordAuditorRead: an auditor's read of the history, recorded before it is answered (the read fails if
// it cannot be recorded). Each read is a new stream, so recording never waits on another read.
import {
  auditorReadAggregate,
  decideRecordAuditorRead,
  type RecordAuditorRead,
} from '../domain/auditorRead.ts';
import { auditReadStream, timeOrderedId } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function recordAuditorRead(
  ctx: CommandContext,
  input: Omit<RecordAuditorRead, 'readId'>,
): Promise<CommandSummary & { readId: string }> {
  const readId = timeOrderedId();
  const outcome = await handleCommand(
    ctx,
    auditorReadAggregate,
    auditReadStream(readId),
    (state, context) => decideRecordAuditorRead({ ...input, readId }, state, context),
    { assumeNewStream: true },
  );
  return { ...summaryOf(outcome), readId };
}
