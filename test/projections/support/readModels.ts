// Test helpers around the read models: a database with the event store, appending chat events, waiting
// for the projection, and row-for-row snapshots of a generation to compare two builds.
import pg from 'pg';
import { migrate } from '../../../src/db/migrate.ts';
import type { ChatEvent } from '../../../src/domain/events.ts';
import { type EventStore, encodePosition } from '../../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../../src/eventstore/postgres/postgresEventStore.ts';
import { readCheckpoint } from '../../../src/projections/checkpoints.ts';
import { createGeneration, dropGeneration } from '../../../src/projections/generations.ts';
import { PROJECTIONS } from '../../../src/projections/registry.ts';
import { waitForPosition } from '../../../src/projections/waitForPosition.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { toAppend, type WorkloadEvent } from './chatWorkload.ts';

export type ProjectionTestContext = { database: TestDatabase; pool: pg.Pool; eventStore: EventStore };

export async function createProjectionTestContext(label: string): Promise<ProjectionTestContext> {
  const database = await createTestDatabase(label);
  await migrate(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  return { database, pool, eventStore: createPostgresEventStore({ pool, pollIntervalMs: 20 }) };
}

export async function closeProjectionTestContext(context: ProjectionTestContext): Promise<void> {
  await context.eventStore.close();
  await context.pool.end();
  await context.database.drop();
}

/** Appends chat events (each to its own stream, no concurrency check); returns the last position. */
export async function appendEvents(eventStore: EventStore, events: readonly (ChatEvent | WorkloadEvent)[]) {
  let position = '0';
  for (const item of events) {
    const { stream, event } = 'stream' in item ? item : toAppend(item);
    const result = await eventStore.appendToStream(stream, [event], { expectedRevision: 'any' });
    position = encodePosition(result.position);
  }
  return position;
}

/**
 * Waits until every live projection has projected `position` (an append's result). Not the store's head:
 * the head stops at the oldest running transaction anywhere in the cluster, so it can lag our appends.
 */
export async function waitForProjection(pool: pg.Pool, position: string, timeoutMs = 30_000) {
  for (const projection of PROJECTIONS) {
    if (!(await waitForPosition(pool, position, timeoutMs, projection.name))) {
      throw new Error(`projection ${projection.name} did not reach ${position} within ${timeoutMs} ms`);
    }
  }
}

/** The generation of each projection to read: by projection name. */
export type Generations = Record<string, string>;

/** Every row of every read model (default: the live generations), by table, in primary-key order. */
export async function snapshotReadModels(
  pool: pg.Pool,
  generations?: Generations,
): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const projection of PROJECTIONS) {
    const schema =
      generations?.[projection.name] ?? (await readCheckpoint(pool, projection.name))!.schema_name!;
    for (const table of projection.tables) {
      const { rows } = await pool.query(
        `SELECT to_jsonb(t) AS r FROM ${schema}.${table.name} t ORDER BY ${table.primaryKey.join(', ')}`,
      );
      snapshot[table.name] = rows.map((row) => row.r);
    }
  }
  return snapshot;
}

/** A reference build: every event in the store projected into a fresh generation of each projection. */
export async function buildReferenceGeneration(pool: pg.Pool, eventStore: EventStore): Promise<Generations> {
  const client = await pool.connect();
  try {
    const generations: Generations = {};
    for (const projection of PROJECTIONS) {
      const schema = await createGeneration(client, projection);
      generations[projection.name] = schema;
      let after: Parameters<EventStore['readAll']>[0] = {};
      for (;;) {
        const events = await eventStore.readAll({ ...after, limit: 2_000 });
        if (events.length === 0) break;
        const handled = events.filter((event) => projection.handles(event.type));
        if (handled.length > 0) await projection.projectBatch(client, schema, handled, { eventStore });
        after = { fromPosition: events.at(-1)!.position };
      }
    }
    return generations;
  } finally {
    client.release();
  }
}

export async function dropReferenceGeneration(pool: pg.Pool, generations: Generations): Promise<void> {
  for (const schema of Object.values(generations)) await dropGeneration(pool, schema);
}

/** Every row a clean build from the whole store gives (by table, as snapshotReadModels), its schemas dropped. */
export async function snapshotCleanBuild(
  pool: pg.Pool,
  eventStore: EventStore,
): Promise<Record<string, unknown[]>> {
  const reference = await buildReferenceGeneration(pool, eventStore);
  try {
    return await snapshotReadModels(pool, reference);
  } finally {
    await dropReferenceGeneration(pool, reference);
  }
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
