// Each test file gets its own PostgreSQL database (and Redis key prefix) so files run in parallel.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

/** Creates a fresh, empty database; `drop()` removes it (terminating leftover connections). */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `chat_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        // a pool's end() resolves before its connections have closed: give them a moment, or FORCE
        // terminates one still closing and its client reports the termination as an unhandled error
        for (let waited = 0; waited < 2_000; waited += 20) {
          const { rows } = await client.query<{ open: number }>(
            'SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (rows[0]!.open === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A Redis key prefix unique to this test file. */
export function testRedisPrefix(label = 'test'): string {
  return `test:${label}:${randomBytes(4).toString('hex')}:`;
}
