// A token bucket per socket: `ratePerSecond` frames on average, bursts up to `burst`. The clock is passed in
// so the rule is tested without waiting.

export type RateLimit = { ratePerSecond: number; burst: number };

export type TokenBucket = {
  /** takes one token if there is one; false means the frame is over the limit */
  tryTake(nowMs: number): boolean;
};

export function createTokenBucket({ ratePerSecond, burst }: RateLimit, startMs: number): TokenBucket {
  let tokens = burst;
  let lastMs = startMs;
  return {
    tryTake(nowMs) {
      tokens = Math.min(burst, tokens + ((nowMs - lastMs) / 1000) * ratePerSecond);
      lastMs = nowMs;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
