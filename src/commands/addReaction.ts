// AddReaction: a participant reacts to a message with an emoji (once per emoji).
import { type AddReaction, decideAddReaction } from '../domain/messageCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';

export function addReaction(ctx: CommandContext, input: AddReaction): Promise<MessageCommandResult> {
  return handleMessageCommand(ctx, input.messageId, (message, context, room) =>
    decideAddReaction(input, message, context, room),
  );
}
