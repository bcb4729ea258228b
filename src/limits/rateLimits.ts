// Rate limits per user across every node, and per address for what arrives unauthenticated. The counters
// live in Redis (rate-limiter-flexible's fixed windows), so a user's sockets and requests on any node
// draw on one allowance. Each Redis limiter has an in-memory twin as its insurance: while Redis is
// unreachable (or does not answer within the command timeout) a node counts alone, so an outage degrades
// to per-node limits, never to none and never to refusing everyone.
import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  type IRateLimiterOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from '../config.ts';

/** What a limit counts: message sends, other writes, uploads, socket opens, unauthenticated requests. */
export type LimitedAction = 'send' | 'write' | 'upload' | 'socket' | 'anonymous';

/** `points` per `seconds`; `burst` more per BURST_WINDOW_SECONDS once those are used up. */
export type LimitRule = { points: number; seconds: number; burst?: number };

/** A burst allowance refills over this window: bursts are short, the sustained rate is `points`. */
export const BURST_WINDOW_SECONDS = 10;

/** Over a limit: the caller may try again after `retryAfterMs`. Nothing was done. */
export class RateLimited extends Error {
  override readonly name = 'RateLimited';
  readonly action: LimitedAction;
  readonly retryAfterMs: number;
  constructor(action: LimitedAction, retryAfterMs: number) {
    super(`Too many ${WHAT[action]}: try again in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.action = action;
    this.retryAfterMs = retryAfterMs;
  }
}

const WHAT: Record<LimitedAction, string> = {
  send: 'messages',
  write: 'changes',
  upload: 'uploads',
  socket: 'socket connections',
  anonymous: 'unauthenticated requests from this address',
};

export type RateLimits = {
  /** counts one `action` by `key` (a user id, an address); throws RateLimited when over the limit */
  take(action: LimitedAction, key: string): Promise<void>;
};

/** RATE_LIMITS=off: nothing is counted (benchmarks compare the two). */
export const UNLIMITED: RateLimits = { take: async () => {} };

export type RateLimitConfig = Pick<
  Config,
  | 'RATE_LIMITS'
  | 'RATE_LIMIT_SEND_PER_SECOND'
  | 'RATE_LIMIT_SEND_BURST'
  | 'RATE_LIMIT_WRITE_PER_SECOND'
  | 'RATE_LIMIT_WRITE_BURST'
  | 'RATE_LIMIT_UPLOADS_PER_MINUTE'
  | 'RATE_LIMIT_SOCKETS_PER_MINUTE'
  | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE'
>;

/** The rules from configuration; an action with 0 points is not limited. */
export function limitRules(config: RateLimitConfig): Record<LimitedAction, LimitRule> {
  return {
    send: {
      points: config.RATE_LIMIT_SEND_PER_SECOND,
      seconds: 1,
      burst: config.RATE_LIMIT_SEND_BURST - config.RATE_LIMIT_SEND_PER_SECOND,
    },
    write: {
      points: config.RATE_LIMIT_WRITE_PER_SECOND,
      seconds: 1,
      burst: config.RATE_LIMIT_WRITE_BURST - config.RATE_LIMIT_WRITE_PER_SECOND,
    },
    upload: { points: config.RATE_LIMIT_UPLOADS_PER_MINUTE, seconds: 60 },
    socket: { points: config.RATE_LIMIT_SOCKETS_PER_MINUTE, seconds: 60 },
    anonymous: { points: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, seconds: 60 },
  };
}

type Limiter = Pick<RateLimiterRedis, 'consume'> | BurstyRateLimiter;

export function createRateLimits(redis: Redis, prefix: string, config: RateLimitConfig): RateLimits {
  if (config.RATE_LIMITS === 'off') return UNLIMITED;
  const rules = limitRules(config);
  const limiters = new Map<LimitedAction, Limiter>();
  for (const [action, rule] of Object.entries(rules) as [LimitedAction, LimitRule][]) {
    if (rule.points === 0) continue;
    const main = insured(redis, {
      keyPrefix: `${prefix}limit:${action}`,
      points: rule.points,
      duration: rule.seconds,
    });
    limiters.set(
      action,
      rule.burst
        ? new BurstyRateLimiter(
            main,
            insured(redis, {
              keyPrefix: `${prefix}limit:${action}:burst`,
              points: rule.burst,
              duration: BURST_WINDOW_SECONDS,
            }),
          )
        : main,
    );
  }
  return {
    async take(action, key) {
      const limiter = limiters.get(action);
      if (!limiter) return;
      try {
        await limiter.consume(key);
      } catch (refusal) {
        // the insurance answers for Redis, so a refusal is the only rejection; anything else is a fault
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        throw new RateLimited(action, Math.max(1, refusal.msBeforeNext));
      }
    },
  };
}

function insured(redis: Redis, options: IRateLimiterOptions & { keyPrefix: string }): RateLimiterRedis {
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    // a connection that is down answers from the insurance at once, not after the reconnect attempts
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ ...options }),
  });
}
