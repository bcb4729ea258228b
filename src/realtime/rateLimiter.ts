// A token bucket per socket: `ratePerSecond` frames on average, bursts up to `burst`. The clock is passed in
// so the rule is tested without waiting.

export type RateLimit = { ratePerSecond: number; burst: number };

export type TokenBucket = {
  /** takes one token if there is one (0); else the milliseconds until there is one (the frame is over) */
  take(nowMs: number): number;
};

export function createTokenBucket({ ratePerSecond, burst }: RateLimit, startMs: number): TokenBucket {
  let tokens = burst;
  let lastMs = startMs;
  return {
    take(nowMs) {
      tokens = Math.min(burst, tokens + ((nowMs - lastMs) / 1000) * ratePerSecond);
      lastMs = nowMs;
      if (tokens < 1) return Math.ceil(((1 - tokens) / ratePerSecond) * 1000);
      tokens -= 1;
      return 0;
    },
  };
}
