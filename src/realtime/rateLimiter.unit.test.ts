import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './rateLimiter.ts';

describe('token bucket', () => {
  it('allows a burst, then only the sustained rate', () => {
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.tryTake(0))).toEqual([true, true, true, false]);
    expect(bucket.tryTake(50)).toBe(false); // half a token
    expect(bucket.tryTake(100)).toBe(true); // one token after 100 ms at 10/s
    expect(bucket.tryTake(100)).toBe(false);
  });

  it('never saves up more than the burst', () => {
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 2 }, 0);
    const taken = Array.from({ length: 5 }, () => bucket.tryTake(60_000)).filter(Boolean);
    expect(taken).toHaveLength(2);
  });
});
