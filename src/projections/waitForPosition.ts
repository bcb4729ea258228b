// Read-your-writes: a request that appended an event waits until the projection has it.
import type pg from 'pg';
import { LIVE } from './checkpoints.ts';

/**
 * Read-your-writes: resolves true once the live projection has projected `position` (an encoded
 * position, e.g. from an append's result), false after `timeoutMs`.
 */
export async function waitForPosition(pool: pg.Pool, position: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ position: string }>(
      'SELECT position FROM projection_checkpoints WHERE name = $1',
      [LIVE],
    );
    const projected = rows[0]?.position;
    if (projected !== undefined && projected !== '0' && projected >= position) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
