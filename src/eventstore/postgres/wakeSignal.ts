// Wakes subscribers in this process as soon as an append here commits; appends from other processes are
// picked up by the subscribers' short poll instead (no NOTIFY: it takes a global lock at commit).

export type WakeSignal = {
  /** wakes every current waiter */
  notify(): void;
  /** resolves on the next notify, after `timeoutMs`, or when `abort` fires, whichever comes first */
  wait(timeoutMs: number, abort: AbortSignal): Promise<void>;
};

export function createWakeSignal(): WakeSignal {
  let waiters = new Set<() => void>();
  return {
    notify() {
      const woken = waiters;
      waiters = new Set();
      for (const wake of woken) wake();
    },
    wait(timeoutMs, abort) {
      if (abort.aborted) return Promise.resolve();
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
