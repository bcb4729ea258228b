// BlockUser: the actor blocks a user. Neither can then open or write in their direct room.
import { type BlockUser, blocksAggregate, decideBlockUser } from '../domain/blocks.ts';
import { blocksStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function blockUser(
  ctx: CommandContext,
  input: BlockUser,
): Promise<CommandSummary & { userId: string }> {
  const outcome = await handleCommand(
    ctx,
    blocksAggregate,
    blocksStream(ctx.actor.userId),
    (blocks, context) => decideBlockUser(input, blocks, context),
  );
  return { userId: input.userId, ...summaryOf(outcome) };
}
