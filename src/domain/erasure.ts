// The erasure aggregate (stream erasure-{erasureId}): one request to erase a person's personal data
// (docs/privacy.md). The keys and files go at the edge (src/privacy/eraseSubject.ts); this records that
// they went, once.
import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { PrivacyEvent, SubjectErased, UserId } from './events.ts';

export type ErasureState = { subjectId: UserId; erased: boolean } | null;

export function evolveErasure(state: ErasureState, event: PrivacyEvent): ErasureState {
  switch (event.type) {
    case 'SubjectErased':
      return { subjectId: event.data.subjectId, erased: true };
    default: {
      const _exhaustive: never = event.type;
      return state;
    }
  }
}

export const erasureAggregate: Aggregate<ErasureState, PrivacyEvent> = {
  name: 'erasure',
  initialState: () => null,
  evolve: evolveErasure,
};

export type RecordSubjectErased = {
  erasureId: string;
  subjectId: UserId;
  keysDestroyed: number;
  attachmentsDeleted: number;
};

/** Records the erasure once; recording it again (a retried request) changes nothing. */
export function decideRecordSubjectErased(
  command: RecordSubjectErased,
  state: ErasureState,
  { actor }: WhoAndWhen,
): SubjectErased[] {
  if (state?.erased) {
    if (state.subjectId !== command.subjectId) {
      throw new DomainError('idempotency_conflict', 'This erasure id was already used for another person');
    }
    return [];
  }
  return [
    {
      type: 'SubjectErased',
      data: {
        erasureId: command.erasureId,
        subjectId: command.subjectId,
        requestedBy: actor.userId,
        keysDestroyed: command.keysDestroyed,
        attachmentsDeleted: command.attachmentsDeleted,
      },
    },
  ];
}
