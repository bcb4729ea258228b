import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { migrate } from './migrate.ts';

describe('migrate', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('migrate');
  });
  afterAll(() => database.drop());

  it('applies every migration once when several start at the same moment, each on its own connection', async () => {
    const runs = await Promise.all([migrate(database.url), migrate(database.url), migrate(database.url)]);
    const applied = runs.flat();
    expect(applied).toContain('0001_event_store');
    expect(new Set(applied).size).toBe(applied.length); // no migration ran twice
    expect(runs.filter((names) => names.length > 0)).toHaveLength(1); // one ran them, the others waited

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id');
      expect(rows.map((row) => row.name)).toEqual(applied);
      expect(await migrate(database.url)).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
