// The legal hold aggregate (stream legalhold-{holdId}): placed once, released once (docs/privacy.md).
import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { HoldScope, LegalHoldEvent, LegalHoldPlaced, LegalHoldReleased } from './events.ts';

export type LegalHoldState = { scope: HoldScope; released: boolean } | null;

export function evolveLegalHold(state: LegalHoldState, event: LegalHoldEvent): LegalHoldState {
  switch (event.type) {
    case 'LegalHoldPlaced':
      return { scope: event.data.scope, released: false };
    case 'LegalHoldReleased':
      return state && { ...state, released: true };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const legalHoldAggregate: Aggregate<LegalHoldState, LegalHoldEvent> = {
  name: 'legal-hold',
  initialState: () => null,
  evolve: evolveLegalHold,
};

export type PlaceLegalHold = { holdId: string; scope: HoldScope };

export function decidePlaceLegalHold(
  command: PlaceLegalHold,
  state: LegalHoldState,
  { actor }: WhoAndWhen,
): LegalHoldPlaced[] {
  if (state) return []; // a retry with the same id
  const { userId, roomId, from, to } = command.scope;
  if (userId === null && roomId === null && from === null && to === null) {
    throw new DomainError('invalid_input', 'A legal hold names a user, a room or a date range');
  }
  if (from !== null && to !== null && from > to) {
    throw new DomainError('invalid_input', 'A legal hold’s range ends before it starts');
  }
  return [
    {
      type: 'LegalHoldPlaced',
      data: { holdId: command.holdId, placedBy: actor.userId, scope: command.scope },
    },
  ];
}

export function decideReleaseLegalHold(
  command: { holdId: string },
  state: LegalHoldState,
  { actor }: WhoAndWhen,
): LegalHoldReleased[] {
  if (!state) throw new DomainError('not_found', 'No such legal hold');
  if (state.released) return [];
  return [{ type: 'LegalHoldReleased', data: { holdId: command.holdId, releasedBy: actor.userId } }];
}
