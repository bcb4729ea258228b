// Checkpoint rows of the chat projection. The live row says which generation is live (in the schema
// `chat_read`) and how far it has projected; a rebuild row, while one exists, is the generation being built.
// A batch's read-model writes and its checkpoint move commit in one transaction: exactly once.
import type pg from 'pg';
import {
  CHAT_PROJECTION,
  CHAT_PROJECTION_VERSION,
  CHECKPOINTS_SQL,
  createGenerationSchema,
  createSecondaryIndexes,
  promoteGeneration,
  READ_SCHEMA,
} from './chat/schema.ts';
import { inTransaction } from './transaction.ts';

export const LIVE = CHAT_PROJECTION;
export const REBUILD = `${CHAT_PROJECTION}:rebuild`;

export type CheckpointRow = {
  name: string;
  version: number;
  /** schema the rows go to (`chat_read` for the live row); null for a rebuild not started yet */
  schema_name: string | null;
  /** the generation's own name (chat_read_g{N}), which its schema takes back when it is replaced */
  generation: string | null;
  /** encoded event store position of the last projected event ('0' = none) */
  position: string;
  /** live: 'running' | 'rebuilding' (replaced by a new version's build); rebuild: 'requested' | 'building' */
  state: string;
  events_processed: string;
  started_at: Date;
  updated_at: Date;
};

const SETUP_LOCK = 7_420_001;
/** session advisory lock held by the one process that projects */
export const LEADER_LOCK = 7_420_002;

export async function readCheckpoint(
  db: pg.ClientBase | pg.Pool,
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
 * Creates the checkpoint table and, on a fresh database, the first generation, live at once, so the
 * queries work as soon as this resolves. Safe to call from every process at once.
 */
export async function prepareReadModels(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    // a start that cannot get its locks fails loudly instead of hanging
    await client.query(`SET LOCAL lock_timeout = '30s'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
    await client.query(CHECKPOINTS_SQL);
    if (await readCheckpoint(client, LIVE)) return;
    const generation = await createGenerationSchema(client);
    await createSecondaryIndexes(client, generation);
    await promoteGeneration(client, generation, null);
    await client.query(
      `INSERT INTO projection_checkpoints (name, version, schema_name, generation, position, state)
       VALUES ($1, $2, $3, $4, '0', 'running')`,
      [LIVE, CHAT_PROJECTION_VERSION, READ_SCHEMA, generation],
    );
  });
}

/**
 * Asks for a rebuild of the chat projection from position 0 (the leading runner picks it up within a
 * second). Returns false when one is already under way.
 */
export async function requestRebuild(pool: pg.Pool): Promise<boolean> {
  await prepareReadModels(pool);
  const { rowCount } = await pool.query(
    `INSERT INTO projection_checkpoints (name, version, schema_name, position, state)
     VALUES ($1, $2, NULL, '0', 'requested') ON CONFLICT (name) DO NOTHING`,
    [REBUILD, CHAT_PROJECTION_VERSION],
  );
  return rowCount === 1;
}
