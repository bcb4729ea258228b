// UnblockUser: the actor lifts a block.
import { blocksAggregate, decideUnblockUser, type UnblockUser } from '../domain/blocks.ts';
import { blocksStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function unblockUser(
  ctx: CommandContext,
  input: UnblockUser,
): Promise<CommandSummary & { userId: string }> {
  const outcome = await handleCommand(
    ctx,
    blocksAggregate,
    blocksStream(ctx.actor.userId),
    (blocks, context) => decideUnblockUser(input, blocks, context),
  );
  return { userId: input.userId, ...summaryOf(outcome) };
}
