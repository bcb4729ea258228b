// PlaceLegalHold: records a legal hold (docs/privacy.md); the edge enforces it (src/privacy/legalHolds.ts).
import { decidePlaceLegalHold, legalHoldAggregate, type PlaceLegalHold } from '../domain/legalHold.ts';
import { legalHoldStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function placeLegalHold(ctx: CommandContext, input: PlaceLegalHold): Promise<CommandSummary> {
  const outcome = await handleCommand(
    ctx,
    legalHoldAggregate,
    legalHoldStream(input.holdId),
    (state, context) => decidePlaceLegalHold(input, state, context),
  );
  return summaryOf(outcome);
}
