// Retention (docs/privacy.md, "Retention"): the policy (stream retention-policy, one RetentionPolicySet
// per change, the whole rule list) and, per room (stream retention-{roomId}), the runs applied to it. A
// run is recorded once per cutoff: a retried or repeated run on the same day records nothing more.
import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { RetentionApplied, RetentionPolicySet, RetentionRule, RoomType, SparedScope } from './events.ts';

/** a hundred years: beyond it a rule is a typo, not a policy */
export const MAX_RETENTION_DAYS = 36_500;

export type RetentionPolicy = { rules: RetentionRule[] };

export const retentionPolicyAggregate: Aggregate<RetentionPolicy, RetentionPolicySet> = {
  name: 'retention-policy',
  initialState: () => ({ rules: [] }),
  evolve: (_state, event) => ({ rules: event.data.rules }),
};

export type SetRetentionPolicy = { rules: RetentionRule[] };

export function decideSetRetentionPolicy(
  command: SetRetentionPolicy,
  state: RetentionPolicy,
  { actor }: WhoAndWhen,
): RetentionPolicySet[] {
  const seen = new Set<string>();
  for (const rule of command.rules) {
    if ((rule.roomId === null) === (rule.roomType === null)) {
      throw new DomainError('invalid_input', 'A retention rule names either a room or a room type');
    }
    if (!Number.isInteger(rule.days) || rule.days < 1 || rule.days > MAX_RETENTION_DAYS) {
      throw new DomainError(
        'invalid_input',
        `Retention days are a whole number from 1 to ${MAX_RETENTION_DAYS}`,
      );
    }
    const target = rule.roomId ?? `type:${rule.roomType}`;
    if (seen.has(target)) {
      throw new DomainError('invalid_input', 'Two retention rules name the same room or room type');
    }
    seen.add(target);
  }
  if (JSON.stringify(state.rules) === JSON.stringify(command.rules)) return [];
  return [{ type: 'RetentionPolicySet', data: { rules: command.rules, setBy: actor.userId } }];
}

/** the rule a room follows: its own, else its type's, else none (kept for ever) */
export function ruleForRoom(
  policy: RetentionPolicy,
  room: { id: string; roomType: RoomType },
): RetentionRule | null {
  return (
    policy.rules.find((rule) => rule.roomId === room.id) ??
    policy.rules.find((rule) => rule.roomType === room.roomType) ??
    null
  );
}

/** YYYY-MM-DD `days` before `today` (UTC): the days strictly before it are past retention */
export function retentionCutoff(today: string, days: number): string {
  const day = new Date(`${today}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - days);
  return day.toISOString().slice(0, 10);
}

/** per room: the last run recorded */
export type RoomRetentionState = Pick<RetentionApplied['data'], 'cutoff' | 'mode' | 'spared'> | null;

export const roomRetentionAggregate: Aggregate<RoomRetentionState, RetentionApplied> = {
  name: 'room-retention',
  initialState: () => null,
  evolve: (_state, event) => ({
    cutoff: event.data.cutoff,
    mode: event.data.mode,
    spared: event.data.spared,
  }),
};

export type RecordRetentionApplied = Omit<RetentionApplied['data'], 'appliedBy'>;

/**
 * Records a run on a room once per selection: a retried run (same cutoff, mode and holds) records nothing;
 * a later cutoff, another mode or a hold released since (fewer spared) is a new selection.
 */
export function decideRecordRetentionApplied(
  command: RecordRetentionApplied,
  state: RoomRetentionState,
  { actor }: WhoAndWhen,
): RetentionApplied[] {
  const same =
    state &&
    state.mode === command.mode &&
    state.cutoff >= command.cutoff &&
    JSON.stringify(state.spared) === JSON.stringify(command.spared);
  if (same) return [];
  return [{ type: 'RetentionApplied', data: { ...command, appliedBy: actor.userId } }];
}

/** whether a hold's scope in `spared` keeps what `userId` wrote on `day` (YYYY-MM-DD) */
export function isSpared(spared: readonly SparedScope[], userId: string, day: string): boolean {
  return spared.some(
    (scope) =>
      (scope.userId === null || scope.userId === userId) &&
      (scope.from === null || day >= scope.from) &&
      (scope.to === null || day <= scope.to),
  );
}
