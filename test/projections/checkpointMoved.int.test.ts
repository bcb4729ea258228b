// A live batch whose checkpoint another writer moved while the batch was being written (a leader that
// took over, say) commits nothing of it (src/projections/projectionRunner.ts): its rows roll back with
// its checkpoint move, and the runner goes on from where the other writer left the checkpoint.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePosition, type RecordedEvent } from '../../src/eventstore/eventStore.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { type BatchInfo, startProjections } from '../../src/projections/projectionRunner.ts';
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
  context = await createProjectionTestContext('projections_checkpoint_moved');
});
afterAll(() => closeProjectionTestContext(context));

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
