// ReportMessage: a participant reports a message to the moderators, with a reason. One report per reporter
// per message: reporting it again answers with the same report.
import { messageAggregate } from '../domain/message.ts';
import { decideReportMessage, type ReportMessage } from '../domain/moderationCommands.ts';
import { reportAggregate } from '../domain/report.ts';
import { messageStream, reportId, reportStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, loadAggregate, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export type ReportMessageInput = Omit<ReportMessage, 'reportId'>;

export type ReportMessageResult = CommandSummary & {
  reportId: string;
  messageId: string;
  roomId: string;
  /** false when this user had reported the message already */
  created: boolean;
};

export async function reportMessage(
  ctx: CommandContext,
  input: ReportMessageInput,
): Promise<ReportMessageResult> {
  const message = (await loadAggregate(ctx, messageAggregate, messageStream(input.messageId))).state;
  const room = await loadRoomOf(ctx, message);
  const command: ReportMessage = { ...input, reportId: reportId(input.messageId, ctx.actor.userId) };
  const outcome = await handleCommand(
    ctx,
    reportAggregate,
    reportStream(command.reportId),
    (report, context) => decideReportMessage(command, report, context, { message, room }),
    { assumeNewStream: true },
  );
  const report = outcome.state!;
  return {
    reportId: report.reportId,
    messageId: report.messageId,
    roomId: report.roomId,
    created: outcome.changed,
    ...summaryOf(outcome),
  };
}
