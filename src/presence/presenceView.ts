// Presence as a client sees it: the status Redis holds, shown as offline (with no last seen) for a user who
// chose to be invisible. Every place that shows presence goes through here.
import type { PresenceJson } from '../contract/resources.ts';
import type { Db } from '../projections/projection.ts';
import { invisibleAmong } from './presenceSettings.ts';
import type { PresenceState, PresenceStore } from './presenceStore.ts';

export function presenceJson(userId: string, state: PresenceState, invisible: boolean): PresenceJson {
  if (invisible) return { user_id: userId, status: 'offline', last_seen: null };
  return {
    user_id: userId,
    status: state.status,
    last_seen: state.lastSeen === null ? null : new Date(state.lastSeen).toISOString(),
  };
}

/**
 * The presence of these users, by id (the caller has checked that they may see each of them).
 * `known`: which of them are invisible, when the caller read it in a query of its own already.
 */
export async function presenceOf(
  db: Db,
  store: PresenceStore,
  userIds: readonly string[],
  known?: ReadonlySet<string>,
): Promise<Map<string, PresenceJson>> {
  const [states, invisible] = await Promise.all([
    store.states(userIds),
    known ?? invisibleAmong(db, userIds),
  ]);
  return new Map(userIds.map((id) => [id, presenceJson(id, states.get(id)!, invisible.has(id))]));
}
