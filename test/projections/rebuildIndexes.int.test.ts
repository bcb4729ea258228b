// A rebuild's index builds hold no transaction id (generations.ts, buildIndexesConcurrently): while one
// runs, events appended meanwhile are read from the store (the PostgreSQL store's readers see nothing
// newer than the oldest transaction holding an id, so a plain CREATE INDEX over a big generation stood
// every live projector still until it ended). An index build that dies leaves an invalid index; the
// retry drops it and builds it again. A read model of the test's own makes a build last seconds: its
// index calls a function that sleeps for every row while an index is being built.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import { readCheckpoint, requestRebuild } from '../../src/projections/checkpoints.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { type ProjectionsHandle, startProjections } from '../../src/projections/projectionRunner.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { chatWorkload } from './support/chatWorkload.ts';
import {
  appendEvents,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
  until,
} from './support/readModels.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const ROWS = 16;
/** per row of the slow index: a build of ROWS rows lasts about ROWS × this */
const SLEEP_SECONDS = 0.3;
const INDEX = 'projected_slowly';

/** one row per event; its secondary index computes every row's key slowly */
const slowIndexProjection: Projection = {
  name: 'slowindex',
  version: 1,
  readSchema: 'slowindex_read',
  tables: [{ name: 'projected', primaryKey: ['id'] }],
  tablesSql: (schema) => `CREATE TABLE ${schema}.projected (id text PRIMARY KEY, type text NOT NULL)`,
  indexesSql: (schema) => [
    `CREATE INDEX IF NOT EXISTS ${INDEX} ON ${schema}.projected (public.slowly(type))`,
  ],
  handles: () => true,
  async projectBatch(client, schema, events) {
    await client.query(
      `INSERT INTO ${schema}.projected (id, type) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [events.map((event) => event.id), events.map((event) => event.type)],
    );
    return { feed: [], notices: [] };
  },
};

let context: ProjectionTestContext;
const workload = [...chatWorkload(ROWS + 2, { rooms: 1, users: 3, seed: 5 })];
beforeAll(async () => {
  context = await createProjectionTestContext('projections_rebuild_indexes');
  // only an index build is slowed: the projector's inserts into a table with this index stay fast (a
  // slow insert would hold a transaction id, and stall the other test files' readers on this cluster)
  await context.pool.query(`CREATE FUNCTION public.slowly(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN
      IF current_query() LIKE '%CREATE%INDEX%' THEN PERFORM pg_sleep(${SLEEP_SECONDS}); END IF;
      RETURN value;
    END $$`);
});
afterAll(() => closeProjectionTestContext(context));

function start(): Promise<ProjectionsHandle> {
  return startProjections({
    pool: context.pool,
    projections: [slowIndexProjection],
    eventStore: context.eventStore,
    publisher: { publish: async () => {} },
    retryMs: 100,
  });
}

/** the backend building the slow index, once it is building */
async function indexBuild(): Promise<number | null> {
  const { rows } = await context.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
       AND query LIKE $1 AND pid <> pg_backend_pid()`,
    [`%INDEX%${INDEX}%`],
  );
  return rows[0]?.pid ?? null;
}

async function indexesOfLiveGeneration() {
  const { rows } = await context.pool.query<{ name: string; valid: boolean }>(
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 ORDER BY 1`,
    [slowIndexProjection.readSchema],
  );
  return rows;
}

describe('a rebuild building its indexes', () => {
  it('lets the store hand out events appended while an index builds', async () => {
    const before = await appendEvents(context.eventStore, workload.slice(0, ROWS));
    const runner = await start();
    try {
      expect(await waitForPosition(context.pool, before, 30_000, 'slowindex')).toBe(true);
      expect(await requestRebuild(context.pool, slowIndexProjection)).toBe(true);
      await until(async () => (await indexBuild()) !== null, 'the index build', 30_000);

      const appended = await appendEvents(context.eventStore, workload.slice(ROWS, ROWS + 1));
      // the store's head (what every live reader reads up to) reaches it while the build goes on
      let head = '0';
      const builds = ROWS * SLEEP_SECONDS * 1000;
      for (const started = performance.now(); performance.now() - started < builds; ) {
        head = encodePosition((await context.eventStore.headPosition())!);
        if (head >= appended) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect({ head: head >= appended, stillBuilding: (await indexBuild()) !== null }).toEqual({
        head: true,
        stillBuilding: true,
      });

      await until(async () => (await readCheckpoint(context.pool, 'slowindex:rebuild')) === null, 'the swap');
      expect(await indexesOfLiveGeneration()).toEqual([
        { name: 'projected_pkey', valid: true },
        { name: INDEX, valid: true },
      ]);
    } finally {
      await runner.stop();
    }
  });

  it('drops an index whose build died and builds it again', async () => {
    const runner = await start();
    try {
      expect(await requestRebuild(context.pool, slowIndexProjection)).toBe(true);
      await until(async () => (await indexBuild()) !== null, 'the index build', 30_000);
      const schema = (await readCheckpoint(context.pool, 'slowindex:rebuild'))!.schema_name!;
      // the build is cancelled, as a crash or an operator would end it: it leaves the index invalid
      await context.pool.query('SELECT pg_cancel_backend($1)', [await indexBuild()]);
      await until(
        async () => {
          const { rows } = await context.pool.query(
            `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2 AND NOT i.indisvalid`,
            [schema, INDEX],
          );
          return rows.length > 0 || (await readCheckpoint(context.pool, 'slowindex:rebuild')) === null;
        },
        'the invalid index',
        30_000,
      );

      // the runner retries the rebuild from its checkpoint, in the same generation, and swaps it in
      await until(async () => (await readCheckpoint(context.pool, 'slowindex:rebuild')) === null, 'the swap');
      expect((await readCheckpoint(context.pool, 'slowindex'))!.generation).toBe(schema);
      expect(await indexesOfLiveGeneration()).toEqual([
        { name: 'projected_pkey', valid: true },
        { name: INDEX, valid: true },
      ]);
      const { rows } = await context.pool.query(`SELECT count(*)::int AS n FROM slowindex_read.projected`);
      expect(rows[0]!.n).toBe(ROWS + 1);
    } finally {
      await runner.stop();
    }
  });
});
