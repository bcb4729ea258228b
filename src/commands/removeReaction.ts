// RemoveReaction: a participant takes back their reaction.
import { decideRemoveReaction, type RemoveReaction } from '../domain/messageCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';

export function removeReaction(ctx: CommandContext, input: RemoveReaction): Promise<MessageCommandResult> {
  return handleMessageCommand(ctx, input.messageId, (message, context, room) =>
    decideRemoveReaction(input, message, context, room),
  );
}
