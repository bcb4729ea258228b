import type pg from 'pg';

/**
 * Runs `work` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. A connection whose ROLLBACK fails is closed, never handed back to the pool mid-transaction.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await inTransactionOn(
      client,
      () => work(client),
      (rollbackError) => {
        broken = rollbackError;
      },
    );
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `work` in a transaction on `client`, a connection the caller holds: COMMIT when it resolves,
 * ROLLBACK when it throws (the work's error is rethrown; a failed ROLLBACK goes to `onRollbackFailed`,
 * for the caller to give the connection up).
 */
export async function inTransactionOn<T>(
  client: pg.ClientBase,
  work: () => Promise<T>,
  onRollbackFailed?: (rollbackError: Error) => void,
): Promise<T> {
  try {
    await client.query('BEGIN');
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      onRollbackFailed?.(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)));
    });
    throw error;
  }
}
