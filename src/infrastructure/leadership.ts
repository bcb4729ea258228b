// One process at a time does a piece of work across every node (the projector, the job producers): it
// holds a PostgreSQL session advisory lock on a dedicated connection while it works; the others stand by
// and try again, so one takes over when the leader dies (its connection closes, the lock goes with it).
import type pg from 'pg';

export type LeadershipOptions = {
  pool: pg.Pool;
  /** the advisory lock's key: one per kind of work */
  lock: number;
  /** aborted: stop leading (the term's work is aborted too) and return */
  stopping: AbortSignal;
  /** how often a standby tries again, and how long after a failed term (ms) */
  retryMs: number;
  logger: { error(object: object, message: string): void };
  /** the work of one term; its signal aborts when the term ends (stop, or the lock's connection lost) */
  lead(term: AbortSignal): Promise<void>;
  /** called when this process finds another one leading (once per change) */
  onStandby?(): void;
};

/** Leads whenever it can get the lock, until `stopping` aborts. */
export async function runAsLeader(options: LeadershipOptions): Promise<void> {
  const { pool, lock, stopping } = options;
  let standby = false;
  while (!stopping.aborted) {
    let lockClient: pg.PoolClient | undefined;
    let failure: Error | undefined;
    const term = new AbortController();
    const endTerm = () => term.abort();
    stopping.addEventListener('abort', endTerm, { once: true });
    try {
      lockClient = await pool.connect();
      lockClient.on('error', endTerm); // the connection (and the lock with it) is gone: stop working
      const { rows } = await lockClient.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [lock],
      );
      if (rows[0]!.locked) {
        standby = false;
        await options.lead(term.signal);
        await lockClient.query('SELECT pg_advisory_unlock($1)', [lock]);
      } else if (!standby) {
        standby = true;
        options.onStandby?.();
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      if (!stopping.aborted) options.logger.error({ err: error, lock }, 'leading failed; retrying');
    } finally {
      stopping.removeEventListener('abort', endTerm);
      term.abort();
      lockClient?.removeListener('error', endTerm);
      // after a failure the connection is closed, not pooled: it must not keep the lock alive
      lockClient?.release(failure);
    }
    await pause(options.retryMs, stopping);
  }
}

/**
 * Runs `action` when `signal` aborts, or at once when it already has (a listener added then would never
 * fire: a stop that came during an earlier await would be lost). Returns what removes the listener.
 */
export function onAbort(signal: AbortSignal, action: () => void): () => void {
  signal.addEventListener('abort', action, { once: true });
  if (signal.aborted) action();
  return () => signal.removeEventListener('abort', action);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
