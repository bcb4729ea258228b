// Moderation: participants report messages; moderators (and the automated moderation pipeline, acting as
// ops) hide and restore messages and resolve reports. Hidden messages keep their events for auditors.
import { isModerationPipeline, type WhoAndWhen } from './actor.ts';
import { DomainError } from './errors.ts';
import type { MessageHidden, MessageReported, MessageRestored, ReportResolved } from './events.ts';
import { characterCount, MAX_HIDE_REASON_LENGTH, MAX_REPORT_REASON_LENGTH } from './limits.ts';
import { type MessageState, requireMessage } from './message.ts';
import type { ReportState } from './report.ts';
import { type RoomState, requireParticipant, requireRoom } from './room.ts';

function validReason(reason: string, max: number): string {
  const trimmed = reason.trim();
  if (trimmed === '' || characterCount(trimmed) > max) {
    throw new DomainError('invalid_input', `A reason is 1 to ${max} characters`);
  }
  return trimmed;
}

function requireModerationPipeline({ actor }: WhoAndWhen): void {
  if (!isModerationPipeline(actor)) throw new DomainError('forbidden', 'Only moderators can do this');
}

export type ReportMessage = {
  /** reportId(messageId, reporter): one report per reporter per message */
  reportId: string;
  messageId: string;
  reason: string;
};

/**
 * A participant of the message's room reports it to the moderators; reporting again changes nothing. The
 * moderation pipeline reports messages of rooms it is in no room of (the webhook's `report` verdict).
 */
export function decideReportMessage(
  command: ReportMessage,
  state: ReportState,
  { actor }: WhoAndWhen,
  { message: messageState, room: roomState }: { message: MessageState; room: RoomState },
): MessageReported[] {
  const message = requireMessage(messageState);
  const room = requireRoom(roomState);
  if (!isModerationPipeline(actor)) requireParticipant(room, actor.userId);
  const reason = validReason(command.reason, MAX_REPORT_REASON_LENGTH);
  if (state) return [];
  return [
    {
      type: 'MessageReported',
      data: {
        reportId: command.reportId,
        messageId: message.messageId,
        roomId: message.roomId,
        reporterId: actor.userId,
        reason,
      },
    },
  ];
}

export type HideMessage = {
  messageId: string;
  reason: string;
  /** reports this decision answers: each is resolved as 'hidden' */
  resolveReportIds?: readonly string[];
};

export function decideHideMessage(
  command: HideMessage,
  state: MessageState,
  context: WhoAndWhen,
): MessageHidden[] {
  requireModerationPipeline(context);
  const message = requireMessage(state);
  const reason = validReason(command.reason, MAX_HIDE_REASON_LENGTH);
  if (message.hidden) return [];
  return [
    {
      type: 'MessageHidden',
      data: { messageId: message.messageId, roomId: message.roomId, hiddenBy: context.actor.userId, reason },
    },
  ];
}

export type RestoreMessage = { messageId: string };

export function decideRestoreMessage(
  _command: RestoreMessage,
  state: MessageState,
  context: WhoAndWhen,
): MessageRestored[] {
  requireModerationPipeline(context);
  const message = requireMessage(state);
  if (!message.hidden) return [];
  return [
    {
      type: 'MessageRestored',
      data: { messageId: message.messageId, roomId: message.roomId, restoredBy: context.actor.userId },
    },
  ];
}

export type ResolveReport = {
  reportId: string;
  action: ReportResolved['data']['action'];
  /** when given, the report must be about this message (a hide resolving its reports) */
  messageId?: string;
};

/** A report is resolved once; the first decision stands. */
export function decideResolveReport(
  command: ResolveReport,
  state: ReportState,
  context: WhoAndWhen,
): ReportResolved[] {
  requireModerationPipeline(context);
  if (!state) throw new DomainError('not_found', 'Report not found');
  if (command.messageId !== undefined && command.messageId !== state.messageId) {
    throw new DomainError('invalid_input', 'That report is about another message');
  }
  if (state.resolution) return [];
  return [
    {
      type: 'ReportResolved',
      data: {
        reportId: state.reportId,
        resolvedBy: context.actor.userId,
        action: command.action,
        messageId: state.messageId,
        roomId: state.roomId,
      },
    },
  ];
}
