// AddReaction: a participant reacts to a message with an emoji (once per emoji).
import { messageAggregate } from '../domain/message.ts';
import { type AddReaction, decideAddReaction } from '../domain/messageCommands.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type MessageCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export async function addReaction(ctx: CommandContext, input: AddReaction): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(input.messageId),
    async (message, context) => decideAddReaction(input, message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId: input.messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
