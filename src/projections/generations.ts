// Where a projection's rows live. Each build ("generation") of a projection is a schema of its own,
// created as {readSchema}_g{N} with the projection's tables. The live generation is renamed to the
// projection's read schema (`chat_read`, `safety_read`), which is all its queries name. A rebuild fills a
// new generation beside the live one; the swap renames the two schemas in one transaction. Renaming a
// schema takes no lock a reader waits for (unlike replacing views, which deadlocks with readers that hold
// some of them), and readers never see a half-built model.
import type pg from 'pg';
import type { Db, Projection } from './projection.ts';

/**
 * A new, empty generation. Its tables are logged from the start: making a rebuild's unlogged tables
 * durable at the end (SET LOGGED) rewrote each of them holding a transaction id, which stalls the store's
 * readers (buildIndexesConcurrently).
 */
export async function createGeneration(db: Db, projection: Projection): Promise<string> {
  const { rows } = await db.query<{ n: string }>(`SELECT nextval('projection_generation') AS n`);
  const schema = `${projection.readSchema}_g${rows[0]!.n}`;
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.query(projection.tablesSql(schema));
  return schema;
}

export async function generationExists(db: Db, schema: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS found', [
    schema,
  ]);
  return rows[0]!.found;
}

/** for building an index over loaded rows in memory rather than in sorted runs on disk */
export const INDEX_BUILD_MEMORY = '256MB';

/** The indexes of a new, empty generation, in the caller's transaction (nothing to wait for). */
export async function createSecondaryIndexes(db: Db, projection: Projection, schema: string): Promise<void> {
  for (const index of projection.indexesSql(schema)) await db.query(index);
}

const INDEX_STATEMENT = /^CREATE (UNIQUE )?INDEX IF NOT EXISTS (\w+) ON /;

/**
 * Builds indexes over a rebuild's loaded rows with CREATE INDEX CONCURRENTLY, one by one on `session`
 * (outside any transaction). A plain CREATE INDEX (or ALTER TABLE ... ADD PRIMARY KEY, or SET LOGGED)
 * holds a transaction id for the whole build, and the PostgreSQL store's readers see no event appended
 * after it began until it ends (docs/eventstore.md, "A long transaction stalls readers"): on a big store
 * that stood every live projector, and the sockets, still for minutes. A concurrent build holds none;
 * it waits instead for the database's transactions older than it (short ones) and reads the table
 * twice. An index a crash left half-built (invalid) is dropped and built again.
 */
export async function buildIndexesConcurrently(
  session: pg.ClientBase,
  schema: string,
  statements: readonly string[],
): Promise<void> {
  await session.query(`SET maintenance_work_mem = '${INDEX_BUILD_MEMORY}'`);
  try {
    for (const statement of statements) {
      const match = INDEX_STATEMENT.exec(statement);
      if (!match) throw new Error(`not a CREATE INDEX IF NOT EXISTS statement: ${statement}`);
      await session.query(`DROP INDEX IF EXISTS ${schema}.${match[2]}`);
      await session.query(
        statement.replace(INDEX_STATEMENT, `CREATE ${match[1] ?? ''}INDEX CONCURRENTLY ${match[2]} ON `),
      );
    }
  } finally {
    await session.query('RESET maintenance_work_mem');
  }
}

/** A rebuild's secondary indexes, built concurrently on a connection of their own. */
export async function buildIndexesOf(pool: pg.Pool, projection: Projection, schema: string): Promise<void> {
  const session = await pool.connect();
  try {
    await buildIndexesConcurrently(session, schema, projection.indexesSql(schema));
  } finally {
    session.release();
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
