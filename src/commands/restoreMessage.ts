// RestoreMessage: a moderator (or the moderation pipeline) makes a hidden message visible again.
import { decideRestoreMessage, type RestoreMessage } from '../domain/moderationCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';

export function restoreMessage(ctx: CommandContext, input: RestoreMessage): Promise<MessageCommandResult> {
  return handleMessageCommand(ctx, input.messageId, (message, context) =>
    decideRestoreMessage(input, message, context),
  );
}
