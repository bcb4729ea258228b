// EditMessage: the sender changes the text; the earlier versions stay in the stream as the edit history.
import { decideEditMessage, type EditMessage } from '../domain/messageCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';

export function editMessage(ctx: CommandContext, input: EditMessage): Promise<MessageCommandResult> {
  return handleMessageCommand(ctx, input.messageId, (message, context, room) =>
    decideEditMessage(input, message, context, room),
  );
}
