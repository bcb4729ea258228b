// Read-your-writes: a request that appended an event waits until a projection has it.
import type pg from 'pg';

/**
 * Resolves true once projection `name` has projected `position` (an encoded position, e.g. from an
 * append's result), false after `timeoutMs`. Every projection passes every position, also of events it
 * does not handle (projectionRunner.ts moves its checkpoint over them).
 */
export async function waitForPosition(
  pool: pg.Pool,
  position: string,
  timeoutMs: number,
  name: string,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ position: string }>(
      'SELECT position FROM projection_checkpoints WHERE name = $1',
      [name],
    );
    const projected = rows[0]?.position;
    if (projected !== undefined && projected !== '0' && projected >= position) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
