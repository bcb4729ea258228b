// What a moderator sees of one report: the report, and the reported message as it was when it was
// reported (its text then, whatever was edited, hidden or deleted since), read from the event store: a
// moderator need not be a participant of the room, and the read models show participants only what they
// may see now. Erased text reads as null (docs/privacy.md).
import type { MessageEvent, ReportEvent } from '../domain/events.ts';
import { evolveMessage, type MessageState } from '../domain/message.ts';
import { evolveReport, type ReportState } from '../domain/report.ts';
import { messageStream, reportStream } from '../domain/streams.ts';
import { comparePositions, type EventStore } from '../eventstore/eventStore.ts';

export type ReportView = {
  id: string;
  reporter: string;
  reason: string;
  /** null: open; else how a moderator resolved it */
  resolution: 'hidden' | 'dismissed' | null;
  reported_at: string;
  message: {
    id: string;
    room: string;
    sender: string;
    message_type: string;
    /** the text when it was reported (null: erased since) */
    content: string | null;
    sent_at: string;
    /** edits before the report */
    edits: number;
    /** the state then: blocked by the policy, hidden or deleted */
    hidden: boolean;
    deleted: boolean;
  };
};

export async function reportView(eventStore: EventStore, reportId: string): Promise<ReportView | null> {
  const reportEvents = await eventStore.readStream(reportStream(reportId));
  const reported = reportEvents[0];
  if (!reported) return null;
  let report: ReportState = null;
  for (const event of reportEvents) report = evolveReport(report, event as unknown as ReportEvent);
  if (!report) return null;
  let message: MessageState = null;
  let sentAt = '';
  let edits = 0;
  for (const event of await eventStore.readStream(messageStream(report.messageId))) {
    if (comparePositions(event.position, reported.position) > 0) break;
    message = evolveMessage(message, event as unknown as MessageEvent);
    if (event.type === 'MessageSent') sentAt = event.metadata.occurredAt;
    if (event.type === 'MessageEdited') edits++;
  }
  if (!message) return null;
  return {
    id: report.reportId,
    reporter: report.reporterId,
    reason: report.reason,
    resolution: report.resolution,
    reported_at: reported.metadata.occurredAt,
    message: {
      id: message.messageId,
      room: message.roomId,
      sender: message.senderId,
      message_type: message.sent.messageType,
      content: message.content,
      sent_at: sentAt,
      edits,
      hidden: message.hidden,
      deleted: message.deleted,
    },
  };
}
