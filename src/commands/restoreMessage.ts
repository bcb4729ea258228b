// RestoreMessage: a moderator (or the moderation pipeline) makes a hidden message visible again.
import { messageAggregate } from '../domain/message.ts';
import { decideRestoreMessage, type RestoreMessage } from '../domain/moderationCommands.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type MessageCommandResult, summaryOf } from './handleCommand.ts';

export async function restoreMessage(
  ctx: CommandContext,
  input: RestoreMessage,
): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(input.messageId),
    (message, context) => decideRestoreMessage(input, message, context),
  );
  return { messageId: input.messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
