// Checkpoint rows of the projections (table: migrations/1000_projection_checkpoints.sql). The live row of
// a projection says which generation is live (in its read schema) and how far it has projected; a rebuild
// row, while one exists, is the generation being built. A batch's read-model writes and its checkpoint
// move commit in one transaction: exactly once.
import type pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import { createGeneration, createSecondaryIndexes, promoteGeneration } from './generations.ts';
import type { Db, Projection } from './projection.ts';

export type CheckpointRow = {
  name: string;
  version: number;
  /** schema the rows go to (the read schema for the live row); null for a rebuild not started yet */
  schema_name: string | null;
  /** the generation's own name ({readSchema}_g{N}), which its schema takes back when it is replaced */
  generation: string | null;
  /** encoded event store position of the last projected event ('0' = none) */
  position: string;
  /** live: 'running' | 'rebuilding' (replaced by a new version's build); rebuild: 'requested' | 'building' */
  state: string;
  events_processed: string;
  started_at: Date;
  updated_at: Date;
};

/** the checkpoint row of a projection's rebuild, while one is requested or under way */
export const rebuildCheckpoint = (projection: { name: string }) => `${projection.name}:rebuild`;

const SETUP_LOCK = 7_420_001;
/** session advisory lock held by the one process that projects (every projection: shared leadership) */
export const LEADER_LOCK = 7_420_002;

export async function readCheckpoint(
  db: Db,
  name: string,
  options: { forUpdate?: boolean } = {},
): Promise<CheckpointRow | null> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT * FROM projection_checkpoints WHERE name = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows[0] ?? null;
}

/**
 * On a fresh database, creates each projection's first generation, live at once, so the queries work as
 * soon as this resolves. Safe to call from every process at once (after the migrations ran).
 */
export async function prepareReadModels(pool: pg.Pool, projections: readonly Projection[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    // a start that cannot get its locks fails loudly instead of hanging
    await client.query(`SET LOCAL lock_timeout = '30s'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
    for (const projection of projections) {
      if (await readCheckpoint(client, projection.name)) continue;
      const generation = await createGeneration(client, projection);
      await createSecondaryIndexes(client, projection, generation);
      await promoteGeneration(client, projection, generation, null);
      await client.query(
        `INSERT INTO projection_checkpoints (name, version, schema_name, generation, position, state)
         VALUES ($1, $2, $3, $4, '0', 'running')`,
        [projection.name, projection.version, projection.readSchema, generation],
      );
    }
  });
}

/**
 * Asks for a rebuild of a projection from position 0 (the leading runner picks it up within a second).
 * Returns false when one is already under way.
 */
export async function requestRebuild(pool: pg.Pool, projection: Projection): Promise<boolean> {
  await prepareReadModels(pool, [projection]);
  const { rowCount } = await pool.query(
    `INSERT INTO projection_checkpoints (name, version, schema_name, position, state)
     VALUES ($1, $2, NULL, '0', 'requested') ON CONFLICT (name) DO NOTHING`,
    [rebuildCheckpoint(projection), projection.version],
  );
  return rowCount === 1;
}
