// Wakes subscriptions as soon as an append commits: at once for appends of this instance, through an
// AppendSignal (Redis) for other nodes' and threads'; a poll covers a signal that never came (no NOTIFY:
// it takes a global lock at commit).

export type WakeSignal = {
  /** wakes every current waiter, and any wait that starts with an older `since` */
  notify(): void;
  /** how many notifications so far: taken before a read, it lets the wait after it see one that came during it */
  count(): number;
  /**
   * resolves on the next notify, after `timeoutMs`, or when `abort` fires, whichever comes first; at once
   * when a notify came since `since` (an append that committed while the caller was reading)
   */
  wait(timeoutMs: number, abort: AbortSignal, since?: number): Promise<void>;
};

export function createWakeSignal(): WakeSignal {
  let waiters = new Set<() => void>();
  let notified = 0;
  return {
    notify() {
      notified++;
      const woken = waiters;
      waiters = new Set();
      for (const wake of woken) wake();
    },
    count: () => notified,
    wait(timeoutMs, abort, since = notified) {
      if (abort.aborted || since !== notified) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          abort.removeEventListener('abort', done);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        abort.addEventListener('abort', done, { once: true });
        waiters.add(done);
      });
    },
  };
}
