// Named projections are independent (projectionRunner.ts): a projection that throws on an event is retried
// alone while the others go on projecting, and a version bump of one projection rebuilds that one only.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/eventStore.ts';
import { type CheckpointRow, readCheckpoint } from '../../src/projections/checkpoints.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { type ProjectionsHandle, startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { safetyProjection } from '../../src/projections/safety/safetyProjection.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { chatWorkload, type WorkloadEvent } from './support/chatWorkload.ts';
import {
  appendEvents,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
  snapshotCleanBuild,
  snapshotReadModels,
  until,
  waitForProjection,
} from './support/readModels.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let context: ProjectionTestContext;
const workload: WorkloadEvent[] = [...chatWorkload(1_000, { rooms: 10, users: 20, seed: 11 })];
beforeAll(async () => {
  context = await createProjectionTestContext('projections_independence');
});
afterAll(() => closeProjectionTestContext(context));

/**
 * A small read model of its own (the ids of sent messages) with a bug: while `broken`, a batch that holds
 * the poisoned event throws, as a new read model's apply might on data nobody foresaw.
 */
function faultyProjection(poisoned: string) {
  const state = { broken: true, failures: 0 };
  const projection: Projection = {
    name: 'faulty',
    version: 1,
    readSchema: 'faulty_read',
    tables: [{ name: 'sent', primaryKey: ['id'] }],
    tablesSql: (schema) => `CREATE TABLE ${schema}.sent (id text PRIMARY KEY)`,
    indexesSql: () => [],
    handles: (type) => type === 'MessageSent',
    async projectBatch(client, schema, events: readonly RecordedEvent[]) {
      if (state.broken && events.some((event) => event.id === poisoned)) {
        state.failures += 1;
        throw new Error('faulty read model: cannot project this event');
      }
      await client.query(`INSERT INTO ${schema}.sent (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [
        events.map((event) => (event.data as { messageId: string }).messageId),
      ]);
      return { feed: [], notices: [] };
    },
  };
  return { projection, state };
}

function start(projections: readonly Projection[]): Promise<ProjectionsHandle> {
  return startProjections({
    pool: context.pool,
    projections,
    eventStore: context.eventStore,
    publisher: { publish: async () => {} },
    batchSize: 50,
    retryMs: 100,
    ...(process.env.PROJECTION_TEST_LOG ? { logger: pino(pino.destination(2)) } : {}),
  });
}

const position = async (name: string) => (await readCheckpoint(context.pool, name))!.position;

describe('a projection that throws on an event', () => {
  it('is retried alone while the other projections keep advancing, and catches up once it can', async () => {
    const sent = workload.slice(300, 600).filter((item) => item.event.type === 'MessageSent');
    const poisoned = sent[Math.floor(sent.length / 2)]!.event.id;
    const faulty = faultyProjection(poisoned);
    const runner = await start([...PROJECTIONS, faulty.projection]);
    try {
      const first = await appendEvents(context.eventStore, workload.slice(0, 300));
      await waitForProjection(context.pool, first);
      expect(await waitForPosition(context.pool, first, 30_000, 'faulty')).toBe(true);

      // the poisoned event among 300 more, then 300 after it
      await appendEvents(context.eventStore, workload.slice(300, 600));
      const last = await appendEvents(context.eventStore, workload.slice(600, 900));
      await waitForProjection(context.pool, last); // chat, safety and search project all of it
      await until(async () => faulty.state.failures >= 3, 'the faulty projection to be retried');
      expect(await position('faulty')).not.toBe('0');
      expect((await position('faulty')) < last).toBe(true); // stuck before its poisoned batch
      for (const status of runner.status()) expect(status.state).toBe('running');
      const positions = Object.fromEntries(runner.status().map((status) => [status.name, status.position]));
      expect(positions).toMatchObject({ chat: last, safety: last, search: last });
      expect(positions.faulty! < last).toBe(true);

      // the bug fixed, the retry goes through and the projection catches up with every message
      faulty.state.broken = false;
      expect(await waitForPosition(context.pool, last, 30_000, 'faulty')).toBe(true);
      const { rows } = await context.pool.query<{ id: string }>(
        'SELECT id FROM faulty_read.sent ORDER BY id',
      );
      const messageIds = workload
        .slice(0, 900)
        .filter((item) => item.event.type === 'MessageSent')
        .map((item) => (item.event.data as { messageId: string }).messageId);
      expect(rows.map((row) => row.id)).toEqual([...new Set(messageIds)].sort());
    } finally {
      await runner.stop();
    }
    // what the others projected meanwhile is what a clean build gives
    expect(await snapshotReadModels(context.pool)).toEqual(
      await snapshotCleanBuild(context.pool, context.eventStore),
    );
  });
});

describe('a version bump of one projection', () => {
  it('rebuilds that projection alone on start', async () => {
    const kept = (row: CheckpointRow) => ({ generation: row.generation, version: row.version });
    const before = Object.fromEntries(
      await Promise.all(
        PROJECTIONS.map(async (p) => [p.name, (await readCheckpoint(context.pool, p.name))!] as const),
      ),
    );
    // as if the stored safety read model came from an older version of the code
    await context.pool.query(`UPDATE projection_checkpoints SET version = version - 1 WHERE name = 'safety'`);
    const runner = await start(PROJECTIONS);
    try {
      await until(
        async () => (await readCheckpoint(context.pool, 'safety'))!.version === safetyProjection.version,
        'the new safety version to swap in',
      );
      // and all three go on projecting live
      await waitForProjection(context.pool, await appendEvents(context.eventStore, workload.slice(900)));
    } finally {
      await runner.stop();
    }
    const after = await readCheckpoint(context.pool, 'safety');
    expect(after!.generation).not.toBe(before.safety!.generation);
    for (const name of ['chat', 'search']) {
      const row = (await readCheckpoint(context.pool, name))!;
      expect({ name, ...kept(row) }).toEqual({ name, ...kept(before[name]!) });
    }
    expect(await snapshotReadModels(context.pool)).toEqual(
      await snapshotCleanBuild(context.pool, context.eventStore),
    );
  });
});
