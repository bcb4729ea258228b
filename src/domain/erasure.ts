// The erasure aggregate (stream erasure-{erasureId}): one request to erase a person's personal data
// (docs/privacy.md). The keys and files go at the edge (src/privacy/eraseSubject.ts); this records that
// the request waits behind legal holds, and that it ran, once.
import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { ErasureEvent, ErasureQueued, SubjectErased, UserId } from './events.ts';

export type ErasureState = { subjectId: UserId; requestedBy: UserId; erased: boolean } | null;

export function evolveErasure(state: ErasureState, event: ErasureEvent): ErasureState {
  switch (event.type) {
    case 'ErasureQueued':
      return { subjectId: event.data.subjectId, requestedBy: event.data.requestedBy, erased: false };
    case 'SubjectErased':
      return { subjectId: event.data.subjectId, requestedBy: event.data.requestedBy, erased: true };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const erasureAggregate: Aggregate<ErasureState, ErasureEvent> = {
  name: 'erasure',
  initialState: () => null,
  evolve: evolveErasure,
};

function requireSameSubject(state: ErasureState, subjectId: UserId): void {
  if (state && state.subjectId !== subjectId) {
    throw new DomainError('idempotency_conflict', 'This erasure id was already used for another person');
  }
}

export type RecordErasureQueued = { erasureId: string; subjectId: UserId; heldBy: string[] };

/** Records that the erasure waits; once (a retried request, or one still held, changes nothing). */
export function decideRecordErasureQueued(
  command: RecordErasureQueued,
  state: ErasureState,
  { actor }: WhoAndWhen,
): ErasureQueued[] {
  requireSameSubject(state, command.subjectId);
  if (state) return [];
  return [
    {
      type: 'ErasureQueued',
      data: { ...command, requestedBy: actor.userId },
    },
  ];
}

export type RecordSubjectErased = {
  erasureId: string;
  subjectId: UserId;
  keysDestroyed: number;
  attachmentsDeleted: number;
};

/**
 * Records the erasure once; recording it again (a retried request) changes nothing. A queued erasure
 * keeps who asked for it, whoever's release let it run.
 */
export function decideRecordSubjectErased(
  command: RecordSubjectErased,
  state: ErasureState,
  { actor }: WhoAndWhen,
): SubjectErased[] {
  requireSameSubject(state, command.subjectId);
  if (state?.erased) return [];
  return [
    {
      type: 'SubjectErased',
      data: {
        erasureId: command.erasureId,
        subjectId: command.subjectId,
        requestedBy: state?.requestedBy ?? actor.userId,
        keysDestroyed: command.keysDestroyed,
        attachmentsDeleted: command.attachmentsDeleted,
      },
    },
  ];
}
