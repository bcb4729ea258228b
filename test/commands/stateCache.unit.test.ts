// The state cache: least recently used entries go first, an older revision never replaces a newer one,
// and an entry is only handed to the aggregate that stored it.
import { describe, expect, it } from 'vitest';
import { createStateCache } from '../../src/commands/stateCache.ts';

const entry = (revision: bigint, aggregate = 'room') => ({
  aggregate,
  state: { revision },
  revision,
  position: { commit: revision, prepare: revision },
});

describe('state cache', () => {
  it('evicts the least recently used stream once full', () => {
    const cache = createStateCache(2);
    cache.set('room-a', entry(1n));
    cache.set('room-b', entry(1n));
    cache.get('room-a', 'room');
    cache.set('room-c', entry(1n));
    expect(cache.get('room-a', 'room')).toBeDefined();
    expect(cache.get('room-b', 'room')).toBeUndefined();
    expect(cache.get('room-c', 'room')).toBeDefined();
  });

  it('keeps the newer revision when a slower command stores an older one', () => {
    const cache = createStateCache();
    cache.set('room-a', entry(5n));
    cache.set('room-a', entry(3n));
    expect(cache.get('room-a', 'room')?.revision).toBe(5n);
  });

  it('does not hand a state to another aggregate', () => {
    const cache = createStateCache();
    cache.set('room-a', entry(1n, 'room'));
    expect(cache.get('room-a', 'message')).toBeUndefined();
  });
});
