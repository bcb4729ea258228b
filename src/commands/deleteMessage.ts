// DeleteMessage: soft delete by the sender, a room admin or a moderator. The content disappears from every
// participant's view; the events stay for auditors.
import { type DeleteMessage, decideDeleteMessage } from '../domain/messageCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';

export function deleteMessage(ctx: CommandContext, input: DeleteMessage): Promise<MessageCommandResult> {
  return handleMessageCommand(ctx, input.messageId, (message, context, room) =>
    decideDeleteMessage(input, message, context, room),
  );
}
