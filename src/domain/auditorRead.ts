// The auditor read aggregate (stream auditread-{readId}): one read of the history by an auditor, recorded
// before it is answered, so that who looked at what, and when, is part of the history it looked at.
import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { AuditEvent, AuditorRead } from './events.ts';

/** null until recorded; a read is recorded once */
export type AuditorReadState = AuditorRead['data'] | null;

export function evolveAuditorRead(_state: AuditorReadState, event: AuditEvent): AuditorReadState {
  return event.data;
}

export const auditorReadAggregate: Aggregate<AuditorReadState, AuditEvent> = {
  name: 'auditorRead',
  initialState: () => null,
  evolve: evolveAuditorRead,
};

export type RecordAuditorRead = Omit<AuditorRead['data'], 'auditorId'>;

/** Only auditors read the history; to anyone else it does not exist. */
export function decideRecordAuditorRead(
  command: RecordAuditorRead,
  state: AuditorReadState,
  { actor }: WhoAndWhen,
): AuditorRead[] {
  if (!actor.roles.includes('auditor')) throw new DomainError('not_found', 'Not found');
  if (state) return [];
  return [{ type: 'AuditorRead', data: { ...command, auditorId: actor.userId } }];
}
