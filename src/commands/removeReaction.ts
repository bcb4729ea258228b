// RemoveReaction: a participant takes back their reaction.
import { messageAggregate } from '../domain/message.ts';
import { decideRemoveReaction, type RemoveReaction } from '../domain/messageCommands.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type MessageCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export async function removeReaction(
  ctx: CommandContext,
  input: RemoveReaction,
): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(input.messageId),
    async (message, context) => decideRemoveReaction(input, message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId: input.messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
