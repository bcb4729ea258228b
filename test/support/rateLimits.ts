// What a send limit can have let through: fixed windows start at a key's first request after the last
// one expired, so within `seconds` a key starts at most floor(seconds) + 1 one-second windows and
// floor(seconds / 10) + 1 burst windows, each allowing its points once.
import { BURST_WINDOW_SECONDS } from '../../src/limits/rateLimits.ts';

export function mostSendsAllowedWithin(seconds: number, limit: { perSecond: number; burst: number }): number {
  const windows = Math.floor(seconds) + 1;
  const burstWindows = Math.floor(seconds / BURST_WINDOW_SECONDS) + 1;
  return limit.perSecond * windows + (limit.burst - limit.perSecond) * burstWindows;
}
