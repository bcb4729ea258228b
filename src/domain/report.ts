// The report aggregate (stream report-{reportId}): one user's report of one message, open until a
// moderator resolves it (hidden or dismissed).
import type { Aggregate } from './aggregate.ts';
import type { ReportEvent, ReportResolved, UserId } from './events.ts';

export type Report = {
  reportId: string;
  messageId: string;
  roomId: string;
  reporterId: UserId;
  reason: string;
  resolution: ReportResolved['data']['action'] | null;
};

/** null until MessageReported */
export type ReportState = Report | null;

export function evolveReport(state: ReportState, event: ReportEvent): ReportState {
  switch (event.type) {
    case 'MessageReported':
      return { ...event.data, resolution: null };
    case 'ReportResolved':
      return state && { ...state, resolution: event.data.action };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const reportAggregate: Aggregate<ReportState, ReportEvent> = {
  name: 'report',
  initialState: () => null,
  evolve: evolveReport,
};
