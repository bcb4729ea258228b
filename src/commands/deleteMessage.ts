// DeleteMessage: soft delete by the sender, a room admin or a moderator. The content disappears from every
// participant's view; the events stay for auditors.
import { messageAggregate } from '../domain/message.ts';
import { type DeleteMessage, decideDeleteMessage } from '../domain/messageCommands.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type MessageCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export async function deleteMessage(
  ctx: CommandContext,
  input: DeleteMessage,
): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(input.messageId),
    async (message, context) => decideDeleteMessage(input, message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId: input.messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
