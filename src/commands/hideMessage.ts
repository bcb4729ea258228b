// HideMessage: a moderator (or the moderation pipeline) hides a message from participants, with a reason,
// and resolves the reports it answers. The events stay; RestoreMessage undoes it.
import { decideHideMessage, type HideMessage } from '../domain/moderationCommands.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';
import { resolveReport } from './resolveReport.ts';

export async function hideMessage(ctx: CommandContext, input: HideMessage): Promise<MessageCommandResult> {
  const result = await handleMessageCommand(ctx, input.messageId, (message, context) =>
    decideHideMessage(input, message, context),
  );
  // each report is its own stream: resolved after the hide is recorded (a retry of the command finishes it)
  for (const reportId of input.resolveReportIds ?? []) {
    await resolveReport(ctx, { reportId, action: 'hidden', messageId: input.messageId });
  }
  return result;
}
