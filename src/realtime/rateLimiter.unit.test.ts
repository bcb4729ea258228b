import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './rateLimiter.ts';

describe('token bucket', () => {
  it('allows a burst, then only the sustained rate, and says how long until the next token', () => {
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(0))).toEqual([0, 0, 0, 100]);
    expect(bucket.take(50)).toBe(50); // half a token: the other half in 50 ms
    expect(bucket.take(100)).toBe(0); // one token after 100 ms at 10/s
    expect(bucket.take(100)).toBe(100);
  });

  it('never saves up more than the burst', () => {
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 2 }, 0);
    const taken = Array.from({ length: 5 }, () => bucket.take(60_000)).filter((wait) => wait === 0);
    expect(taken).toHaveLength(2);
  });
});
