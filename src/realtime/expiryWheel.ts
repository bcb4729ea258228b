// Deadlines for many sockets on one timer. Every open socket has one (its token's expiry), ten thousand
// idle sockets held ten thousand Node timers and their closures; here a socket is one entry in the set of
// the second it expires in, and one interval a second takes out the sets that are due. A deadline fires up
// to one tick late: token expiries are whole seconds (JWT `exp`), and closing a socket a little late is
// what a timer on a busy event loop did too.

export type ExpiryWheel<T> = {
  /** `item` expires at `atMs` (epoch ms); one in the past expires at the next tick */
  add(item: T, atMs: number): void;
  /** takes out an item that no longer expires (give the same `atMs` as to add) */
  remove(item: T, atMs: number): void;
  stop(): void;
};

export function createExpiryWheel<T>(
  onExpired: (item: T) => void,
  tickMs = 1_000,
  now: () => number = Date.now,
): ExpiryWheel<T> {
  const due = new Map<number, Set<T>>();
  /** the last tick whose set was taken out */
  let done = Math.floor(now() / tickMs);
  const tickOf = (atMs: number) => Math.max(Math.ceil(atMs / tickMs), done + 1);

  const interval = setInterval(() => {
    // a blocked event loop can skip ticks: every tick up to now is taken out, in order
    const current = Math.floor(now() / tickMs);
    while (done < current) {
      done++;
      const items = due.get(done);
      if (!items) continue;
      due.delete(done);
      for (const item of items) onExpired(item);
    }
  }, tickMs);
  interval.unref();

  return {
    add(item, atMs) {
      const tick = tickOf(atMs);
      const items = due.get(tick);
      if (items) items.add(item);
      else due.set(tick, new Set([item]));
    },
    remove(item, atMs) {
      const tick = tickOf(atMs);
      const items = due.get(tick);
      if (!items?.delete(item)) return;
      if (items.size === 0) due.delete(tick);
    },
    stop: () => clearInterval(interval),
  };
}
