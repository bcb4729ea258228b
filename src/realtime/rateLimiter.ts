// A token bucket per socket: `ratePerSecond` frames on average, bursts up to `burst`. The clock is passed in
// so the rule is tested without waiting.

export type RateLimit = { ratePerSecond: number; burst: number };

export type TokenBucket = {
  /** takes one token if there is one (0); else the milliseconds until there is one (the frame is over) */
  take(nowMs: number): number;
};

/** A class, not a closure: every socket holds one, and an object of two numbers is all it needs of its own. */
class Bucket implements TokenBucket {
  private tokens: number;
  private lastMs: number;
  /** shared by every socket of the node */
  private readonly limit: RateLimit;

  constructor(limit: RateLimit, startMs: number) {
    this.limit = limit;
    this.tokens = limit.burst;
    this.lastMs = startMs;
  }

  take(nowMs: number): number {
    const { ratePerSecond, burst } = this.limit;
    this.tokens = Math.min(burst, this.tokens + ((nowMs - this.lastMs) / 1000) * ratePerSecond);
    this.lastMs = nowMs;
    if (this.tokens < 1) return Math.ceil(((1 - this.tokens) / ratePerSecond) * 1000);
    this.tokens -= 1;
    return 0;
  }
}

export function createTokenBucket(limit: RateLimit, startMs: number): TokenBucket {
  return new Bucket(limit, startMs);
}
