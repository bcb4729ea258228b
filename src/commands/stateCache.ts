// An in-process cache of aggregate states by stream, so a hot room is not refolded from its first event on
// every command: a load reads only the events after the cached revision. Entries are immutable snapshots
// (evolve never mutates); a stale entry costs one more read, never a wrong decision, because the append
// still carries the expected revision (or, for a state it only read, a condition on that stream's revision:
// handleCommand's conditioned load) and a conflict drops the entry.
import { LRUCache } from 'lru-cache';
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

/**
 * Least recently used entries go first once `maxEntries` is reached (lru-cache: a Map kept in recency order
 * by deleting and re-adding, its oldest dropped through its key iterator, cost 2 % of the main thread at
 * 2,000 messages a second, each send adding a message stream).
 */
export function createStateCache(maxEntries = 10_000): StateCache {
  const entries = new LRUCache<string, CachedState>({ max: maxEntries });
  let clears = 0;
  return {
    get(stream, aggregate) {
      const entry = entries.get(stream);
      return entry?.aggregate === aggregate ? entry : undefined;
    },
    set(stream, entry, since) {
      if (since !== clears) return;
      const current = entries.peek(stream);
      if (current && current.aggregate === entry.aggregate && current.revision > entry.revision) return;
      entries.set(stream, entry);
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
