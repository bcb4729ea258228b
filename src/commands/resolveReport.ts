// ResolveReport: a moderator (or the moderation pipeline) closes a report, as hidden or dismissed.
// The first resolution stands; resolving again changes nothing.
import { decideResolveReport, type ResolveReport } from '../domain/moderationCommands.ts';
import { reportAggregate } from '../domain/report.ts';
import { reportStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export async function resolveReport(
  ctx: CommandContext,
  input: ResolveReport,
): Promise<CommandSummary & { reportId: string }> {
  const outcome = await handleCommand(ctx, reportAggregate, reportStream(input.reportId), (report, context) =>
    decideResolveReport(input, report, context),
  );
  return { reportId: input.reportId, ...summaryOf(outcome) };
}
