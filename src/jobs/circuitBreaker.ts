// A circuit breaker for a job's outbound calls (the moderation webhook): after `failures` failed calls in a
// row it opens and refuses calls for `cooldownMs`; then one trial call is let through (half open): its
// success closes the breaker, its failure opens it for another cool-down. A refused call is no failed
// attempt: the job puts itself back until `retryAt` (moveToDelayed), so a hook that is down for an hour
// delays its jobs and fails none of them. Per process: each process learns on its own that the hook is away,
// at the cost of `failures` calls.

export type BreakerState = 'closed' | 'open' | 'half_open';

export type CircuitBreaker = {
  /** whether a call may go out now; if not, when to ask again (ms since the epoch) */
  admit(): { ok: true } | { ok: false; retryAt: number };
  succeeded(): void;
  failed(): void;
  state(): BreakerState;
};

export type CircuitBreakerOptions = {
  failures: number;
  cooldownMs: number;
  /** the clock, replaceable in tests */
  now?: () => number;
  /** told when the breaker opens (after a trial too) and when it closes again */
  onChange?: (state: 'open' | 'closed') => void;
};

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let failuresInARow = 0;
  /** while open: until when; 0 when closed */
  let openUntil = 0;
  /** the trial call's start while half open; a trial never reported (its job died) expires after a cool-down */
  let trialSince: number | null = null;

  const open = () => {
    openUntil = now() + options.cooldownMs;
    trialSince = null;
    options.onChange?.('open');
  };

  return {
    admit() {
      if (openUntil === 0) return { ok: true };
      const at = now();
      if (at < openUntil) return { ok: false, retryAt: openUntil };
      if (trialSince !== null && at < trialSince + options.cooldownMs) {
        return { ok: false, retryAt: trialSince + options.cooldownMs };
      }
      trialSince = at;
      return { ok: true };
    },
    succeeded() {
      const wasOpen = openUntil !== 0;
      failuresInARow = 0;
      openUntil = 0;
      trialSince = null;
      if (wasOpen) options.onChange?.('closed');
    },
    failed() {
      failuresInARow++;
      // a failed trial opens it again; so do `failures` in a row while closed
      if (trialSince !== null || (openUntil === 0 && failuresInARow >= options.failures)) open();
    },
    state() {
      if (openUntil === 0) return 'closed';
      return now() < openUntil ? 'open' : 'half_open';
    },
  };
}
