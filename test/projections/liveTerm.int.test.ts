// The edges of a live term (src/projections/projectionRunner.ts):
// - a stop that comes while a process is just taking the lead: the new leader is reading its live
//   checkpoints when stop() aborts, and stop() must still end the term and return (it once waited
//   forever: a listener added to the already-aborted signal never fired; a realtime test's afterAll hung
//   on it in CI);
// - a live batch whose checkpoint another writer moved while the batch was being written (a leader that
//   took over, say) commits nothing of it: its rows roll back with its checkpoint move, and the runner
//   goes on from where the other writer left the checkpoint.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePosition, type RecordedEvent } from '../../src/eventstore/eventStore.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { type BatchInfo, startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { chatWorkload } from './support/chatWorkload.ts';
import {
  appendEvents,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
} from './support/readModels.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let context: ProjectionTestContext;
beforeAll(async () => {
  context = await createProjectionTestContext('projections_live_term');
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

/** a read model of the ids of sent messages, one row each */
const sentIds: Projection = {
  name: 'sent_ids',
  version: 1,
  readSchema: 'sent_ids_read',
  tables: [{ name: 'sent', primaryKey: ['id'] }],
  tablesSql: (schema) => `CREATE TABLE ${schema}.sent (id text PRIMARY KEY)`,
  indexesSql: () => [],
  handles: (type) => type === 'MessageSent',
  async projectBatch(client, schema, events: readonly RecordedEvent[]) {
    await client.query(`INSERT INTO ${schema}.sent (id) SELECT unnest($1::text[])`, [
      events.map((event) => (event.data as { messageId: string }).messageId),
    ]);
    return { feed: [], notices: [] };
  },
};

describe('a live batch whose checkpoint moved under it', () => {
  it('rolls back, and the runner goes on from where the other writer left the checkpoint', async () => {
    const workload = [...chatWorkload(300, { rooms: 5, users: 10, seed: 7 })];
    const first = await appendEvents(context.eventStore, workload.slice(0, 100));
    let interfered: BatchInfo | undefined;
    const runner = await startProjections({
      pool: context.pool,
      projections: [sentIds],
      eventStore: context.eventStore,
      publisher: { publish: async () => {} },
      batchSize: 20,
      retryMs: 50,
      hooks: {
        // once the first 100 are in: the next batch, written but not committed, finds its checkpoint
        // moved to its own end by another writer (which, in this test, wrote none of its rows)
        async beforeCommit(batch) {
          if (interfered || batch.position <= first) return;
          interfered = batch;
          await context.pool.query('UPDATE projection_checkpoints SET position = $2 WHERE name = $1', [
            sentIds.name,
            batch.position,
          ]);
        },
      },
    });
    try {
      expect(await waitForPosition(context.pool, first, 30_000, sentIds.name)).toBe(true);
      const last = await appendEvents(context.eventStore, workload.slice(100));
      expect(await waitForPosition(context.pool, last, 30_000, sentIds.name)).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(interfered).toBeDefined();
    // the interfered batch: the page of events that ended at its position
    const events = await context.eventStore.readAll();
    const end = events.findIndex((event) => encodePosition(event.position) === interfered!.position);
    const batch = events.slice(end + 1 - interfered!.events, end + 1);
    const sentIn = (some: readonly RecordedEvent[]) =>
      some
        .filter((event) => event.type === 'MessageSent')
        .map((event) => (event.data as { messageId: string }).messageId);
    const rolledBack = sentIn(batch);
    expect(rolledBack.length).toBeGreaterThan(0);

    // nothing of that batch is stored; every other message is
    const { rows } = await context.pool.query<{ id: string }>(
      'SELECT id FROM sent_ids_read.sent ORDER BY id',
    );
    const others = sentIn(events).filter((id) => !rolledBack.includes(id));
    expect(rows.map((row) => row.id)).toEqual([...others].sort());
  });
});
