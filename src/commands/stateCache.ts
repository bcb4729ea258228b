// An in-process cache of aggregate states by stream, so a hot room is not refolded from its first event on
// every command: a load reads only the events after the cached revision. Entries are immutable snapshots
// (evolve never mutates); a stale entry costs one more read, never a wrong decision, because the append
// still carries the expected revision (or, for a state it only read, a condition on that stream's revision:
// handleCommand's conditioned load) and a conflict drops the entry.
import type { Position } from '../eventstore/eventStore.ts';

export type CachedState = {
  aggregate: string;
  state: unknown;
  /** revision of the last event folded into `state` */
  revision: bigint;
  position: Position;
};

export type StateCache = {
  get(stream: string, aggregate: string): CachedState | undefined;
  /**
   * keeps `entry`, unless the cache was cleared after `since` (its epoch when the state's read began): a
   * state read before an erasure may hold the text it destroyed
   */
  set(stream: string, entry: CachedState, since: number): void;
  delete(stream: string): void;
  /** drops every state (an erasure: states hold decrypted text) */
  clear(): void;
  /** how many times it was cleared: what `set` compares `since` with */
  epoch(): number;
};

/** Least recently used entries go first once `maxEntries` is reached. */
export function createStateCache(maxEntries = 10_000): StateCache {
  const entries = new Map<string, CachedState>();
  let clears = 0;
  return {
    get(stream, aggregate) {
      const entry = entries.get(stream);
      if (!entry || entry.aggregate !== aggregate) return undefined;
      entries.delete(stream);
      entries.set(stream, entry);
      return entry;
    },
    set(stream, entry, since) {
      if (since !== clears) return;
      const current = entries.get(stream);
      if (current && current.aggregate === entry.aggregate && current.revision > entry.revision) return;
      entries.delete(stream);
      entries.set(stream, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    delete(stream) {
      entries.delete(stream);
    },
    clear() {
      clears += 1;
      entries.clear();
    },
    epoch: () => clears,
  };
}
