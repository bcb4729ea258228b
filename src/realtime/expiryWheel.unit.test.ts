import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createExpiryWheel } from './expiryWheel.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function recorded() {
  const expired: string[] = [];
  return { expired, wheel: createExpiryWheel<string>((item) => expired.push(item)) };
}

it('expires each item within a tick after its deadline, in deadline order', () => {
  const { expired, wheel } = recorded();
  wheel.add('late', 1_004_000);
  wheel.add('early', 1_001_500);
  vi.advanceTimersByTime(1_000);
  expect(expired).toEqual([]);
  vi.advanceTimersByTime(1_000);
  expect(expired).toEqual(['early']);
  vi.advanceTimersByTime(3_000);
  expect(expired).toEqual(['early', 'late']);
  wheel.stop();
});

it('never expires a removed item, and expires a deadline already past at the next tick', () => {
  const { expired, wheel } = recorded();
  wheel.add('closed', 1_002_000);
  wheel.add('past', 999_000);
  wheel.remove('closed', 1_002_000);
  vi.advanceTimersByTime(5_000);
  expect(expired).toEqual(['past']);
  wheel.stop();
});

it('catches up on ticks a blocked event loop skipped', () => {
  const { expired, wheel } = recorded();
  wheel.add('a', 1_001_000);
  wheel.add('b', 1_003_000);
  vi.setSystemTime(1_003_500); // the clock moved on without the interval running
  vi.advanceTimersByTime(1_000);
  expect(expired).toEqual(['a', 'b']);
  wheel.stop();
});
