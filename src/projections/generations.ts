// Where a projection's rows live. Each build ("generation") of a projection is a schema of its own,
// created as {readSchema}_g{N} with the projection's tables. The live generation is renamed to the
// projection's read schema (`chat_read`, `safety_read`), which is all its queries name. A rebuild fills a
// new generation beside the live one; the swap renames the two schemas in one transaction. Renaming a
// schema takes no lock a reader waits for (unlike replacing views, which deadlocks with readers that hold
// some of them), and readers never see a half-built model.
import type { Db, Projection } from './projection.ts';

/**
 * One row, created with the generation: PostgreSQL empties unlogged tables after a crash of its own, and a
 * rebuild's generation that lost this row lost its other rows too (isRebuildIntact).
 */
const MARKER_TABLE = 'generation_marker';

/**
 * A new, empty generation. `unlogged` (for rebuilds) skips the write-ahead log while it fills; it must be
 * made durable with setGenerationLogged before it goes live.
 */
export async function createGeneration(
  db: Db,
  projection: Projection,
  options: { unlogged?: boolean } = {},
): Promise<string> {
  const { rows } = await db.query<{ n: string }>(`SELECT nextval('projection_generation') AS n`);
  const schema = `${projection.readSchema}_g${rows[0]!.n}`;
  await db.query(`CREATE SCHEMA ${schema}`);
  const sql = `${projection.tablesSql(schema)};
    CREATE TABLE ${schema}.${MARKER_TABLE} (created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ${schema}.${MARKER_TABLE} DEFAULT VALUES;`;
  await db.query(options.unlogged ? sql.replaceAll('CREATE TABLE', 'CREATE UNLOGGED TABLE') : sql);
  return schema;
}

export async function setGenerationLogged(db: Db, projection: Projection, schema: string): Promise<void> {
  for (const table of [...projection.tables.map((t) => t.name), MARKER_TABLE]) {
    await db.query(`ALTER TABLE ${schema}.${table} SET LOGGED`);
  }
}

/** False when a database crash emptied a rebuild's unlogged tables (their marker row went with them). */
export async function isRebuildIntact(db: Db, schema: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM ${schema}.${MARKER_TABLE} LIMIT 1`);
  return rows.length > 0;
}

/** for building an index over loaded rows in memory rather than in sorted runs on disk */
export const INDEX_BUILD_MEMORY = '256MB';

/**
 * One statement per index: on a pool, each is a transaction of its own. A build holds a transaction id
 * throughout, and the PostgreSQL store's readers see nothing newer than the oldest one running.
 */
export async function createSecondaryIndexes(db: Db, projection: Projection, schema: string): Promise<void> {
  for (const index of projection.indexesSql(schema)) {
    await db.query(`SET LOCAL maintenance_work_mem = '${INDEX_BUILD_MEMORY}'; ${index}`);
  }
}

/**
 * Makes `generation` the schema the projection's queries read (inside the swap transaction): the live one,
 * if any, goes back to its own name `retired` first.
 */
export async function promoteGeneration(
  db: Db,
  projection: Projection,
  generation: string,
  retired: string | null,
): Promise<void> {
  if (retired) await db.query(`ALTER SCHEMA ${projection.readSchema} RENAME TO ${retired}`);
  await db.query(`ALTER SCHEMA ${generation} RENAME TO ${projection.readSchema}`);
}

export async function dropGeneration(db: Db, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
