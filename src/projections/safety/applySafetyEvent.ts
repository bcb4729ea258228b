// The safety projection as a pure function over the rows a batch loaded: reports open and get resolved,
// blocks come and go, bounced writes are listed. safetyProjection.ts loads the rows before and writes the changed ones after.
import type { BlockEvent, MessageBounced, ReportEvent } from '../../domain/events.ts';
import { encodePosition, type RecordedEvent } from '../../eventstore/eventStore.ts';
import type { BounceRow, ReportRow, UserBlockRow } from './rows.ts';

export type SafetyEvent = BlockEvent | ReportEvent | MessageBounced;

export type SafetyBatch = {
  reports: Map<string, ReportRow>;
  /** keyed by blockKey(userId, blockedUserId); null = unblocked (delete the row) */
  blocks: Map<string, UserBlockRow | null>;
  changedReports: Set<string>;
  changedBlocks: Set<string>;
  /** new rows only: a bounce is recorded once and never changes */
  bounces: BounceRow[];
};

export const blockKey = (userId: string, blockedUserId: string) => `${userId}|${blockedUserId}`;

/** Every type applySafetyEvent projects: a record, so that a new one cannot be left out. */
const SAFETY_EVENT_TYPES: Record<SafetyEvent['type'], true> = {
  UserBlocked: true,
  UserUnblocked: true,
  MessageReported: true,
  ReportResolved: true,
  MessageBounced: true,
};

export const isSafetyProjectedEvent = (type: string): boolean => Object.hasOwn(SAFETY_EVENT_TYPES, type);
export const SAFETY_PROJECTED_TYPES: readonly string[] = Object.keys(SAFETY_EVENT_TYPES);

export function emptySafetyBatch(): SafetyBatch {
  return {
    reports: new Map(),
    blocks: new Map(),
    changedReports: new Set(),
    changedBlocks: new Set(),
    bounces: [],
  };
}

export function applySafetyEvent(batch: SafetyBatch, recorded: RecordedEvent): void {
  const event = { type: recorded.type, data: recorded.data } as SafetyEvent;
  const at = recorded.metadata.occurredAt;
  switch (event.type) {
    case 'UserBlocked':
    case 'UserUnblocked': {
      const d = event.data;
      const key = blockKey(d.userId, d.blockedUserId);
      const blocked = event.type === 'UserBlocked';
      if (blocked === Boolean(batch.blocks.get(key))) return;
      batch.blocks.set(
        key,
        blocked ? { user_id: d.userId, blocked_user_id: d.blockedUserId, created_at: at } : null,
      );
      batch.changedBlocks.add(key);
      return;
    }
    case 'MessageReported': {
      const d = event.data;
      if (batch.reports.has(d.reportId)) return;
      batch.reports.set(d.reportId, {
        id: d.reportId,
        message_id: d.messageId,
        room_id: d.roomId,
        reporter_id: d.reporterId,
        reason: d.reason,
        status: 'open',
        created_at: at,
        resolved_by: null,
        resolved_at: null,
      });
      batch.changedReports.add(d.reportId);
      return;
    }
    case 'ReportResolved': {
      const report = batch.reports.get(event.data.reportId);
      if (report?.status !== 'open') return;
      report.status = event.data.action;
      report.resolved_by = event.data.resolvedBy;
      report.resolved_at = at;
      batch.changedReports.add(report.id);
      return;
    }
    case 'MessageBounced': {
      const d = event.data;
      batch.bounces.push({
        id: d.bounceId,
        position: encodePosition(recorded.position),
        message_id: d.messageId,
        room_id: d.roomId,
        sender_id: d.senderId,
        rule_id: d.ruleId,
        rule_name: d.ruleName,
        is_edit: d.edit,
        bounced_at: at,
      });
      return;
    }
    default: {
      const _other: never = event;
      return;
    }
  }
}
