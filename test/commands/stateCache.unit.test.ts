// The state cache: least recently used entries go first, an older revision never replaces a newer one,
// an entry is only handed to the aggregate that stored it, and a state read before a clear (an erasure's)
// is not kept after it.
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
    cache.set('room-a', entry(1n), cache.epoch());
    cache.set('room-b', entry(1n), cache.epoch());
    cache.get('room-a', 'room');
    cache.set('room-c', entry(1n), cache.epoch());
    expect(cache.get('room-a', 'room')).toBeDefined();
    expect(cache.get('room-b', 'room')).toBeUndefined();
    expect(cache.get('room-c', 'room')).toBeDefined();
  });

  it('keeps the newer revision when a slower command stores an older one', () => {
    const cache = createStateCache();
    cache.set('room-a', entry(5n), cache.epoch());
    cache.set('room-a', entry(3n), cache.epoch());
    expect(cache.get('room-a', 'room')?.revision).toBe(5n);
  });

  it('does not hand a state to another aggregate', () => {
    const cache = createStateCache();
    cache.set('room-a', entry(1n, 'room'), cache.epoch());
    expect(cache.get('room-a', 'message')).toBeUndefined();
  });

  it('does not keep a state whose read began before the cache was cleared', () => {
    const cache = createStateCache();
    const since = cache.epoch();
    cache.clear(); // keys destroyed while the state was being read: it may hold their text
    cache.set('room-a', entry(1n), since);
    expect(cache.get('room-a', 'room')).toBeUndefined();
    cache.set('room-a', entry(1n), cache.epoch());
    expect(cache.get('room-a', 'room')).toBeDefined();
  });
});
