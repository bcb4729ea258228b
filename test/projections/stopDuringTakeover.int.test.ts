// A stop that comes while a process is just taking the lead (src/projections/projectionRunner.ts): the
// new leader is reading its live checkpoints when stop() aborts, and stop() must still end the term and
// return. (It once waited forever: a listener added to the already-aborted signal never fired; a realtime
// test's afterAll hung on it in CI.)
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import {
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
} from './support/readModels.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let context: ProjectionTestContext;
beforeAll(async () => {
  context = await createProjectionTestContext('projections_stop_takeover');
});
afterAll(() => closeProjectionTestContext(context));

const LIVE_NAMES = new Set(PROJECTIONS.map((projection) => projection.name));
const LIVE_CHECKPOINT_READ = 'SELECT * FROM projection_checkpoints WHERE name = $1';

/**
 * The test's pool, with the leader's reads of its live checkpoints held while `armed`: `held` resolves at
 * the first one, `release()` lets them all go on.
 */
function holdingCheckpointReads(pool: pg.Pool) {
  let armed = false;
  let reached!: () => void;
  const held = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const gated = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return async (text: unknown, values?: unknown[]) => {
        if (armed && text === LIVE_CHECKPOINT_READ && LIVE_NAMES.has(String(values?.[0]))) {
          reached();
          await released;
        }
        return target.query(text as string, values);
      };
    },
  });
  return { pool: gated, arm: () => (armed = true), held, release };
}

describe('a stop during a takeover', () => {
  it('ends the new term and returns, though it came while the checkpoints were read', async () => {
    const gate = holdingCheckpointReads(context.pool);
    const runner = await startProjections({
      pool: gate.pool,
      projections: PROJECTIONS,
      eventStore: context.eventStore,
      publisher: { publish: async () => {} },
      retryMs: 50,
    });
    // armed before the leader loop gets its lock (that takes a connection and a query): its first reads
    // of the live checkpoints are the ones held
    gate.arm();
    await gate.held;
    const stopped = runner.stop().then(() => 'stopped' as const);
    gate.release();
    const outcome = await Promise.race([
      stopped,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref()),
    ]);
    expect(outcome).toBe('stopped');
    expect(runner.status().map((run) => run.state)).toEqual(PROJECTIONS.map(() => 'stopped'));
  });
});
