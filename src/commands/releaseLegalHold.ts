// ReleaseLegalHold: records the end of a legal hold; erasures it held then run (src/privacy/legalHolds.ts).
import { decideReleaseLegalHold, legalHoldAggregate } from '../domain/legalHold.ts';
import { legalHoldStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function releaseLegalHold(
  ctx: CommandContext,
  input: { holdId: string },
): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    legalHoldAggregate,
    legalHoldStream(input.holdId),
    (state, context) => decideReleaseLegalHold(input, state, context),
  );
  return summaryOf(outcome);
}
