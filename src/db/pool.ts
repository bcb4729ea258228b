// The PostgreSQL pool every part of a process uses (the app, the projector thread): one place for the
// settings that keep a stuck transaction or a dropped connection from hurting the rest.
import pg from 'pg';

export type PoolOptions = {
  databaseUrl: string;
  /** PostgreSQL ends a transaction of ours idle this long (event store readers wait behind open ones) */
  idleInTransactionTimeoutMs: number;
  max: number;
};

export function createPool(
  options: PoolOptions,
  logger: { warn(object: object, message: string): void },
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.max,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
  });
  watchPool(pool, logger);
  return pool;
}

/**
 * A client dropped by the server (restart, idle-in-transaction timeout) must not crash the process: the
 * pool handles idle ones; a checked-out one gets this listener, and its next query fails instead.
 */
export function watchPool(pool: pg.Pool, logger: { warn(object: object, message: string): void }): void {
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL client failed')),
  );
}
