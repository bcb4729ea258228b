// EditMessage: the sender changes the text; the earlier versions stay in the stream as the edit history.
import { messageAggregate } from '../domain/message.ts';
import { decideEditMessage, type EditMessage } from '../domain/messageCommands.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type MessageCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export async function editMessage(ctx: CommandContext, input: EditMessage): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(input.messageId),
    async (message, context) => decideEditMessage(input, message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId: input.messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
