// The event store contract against PostgreSQL (own database), plus what only PostgreSQL can show: a
// reader that pages by the sequence alone loses an event that commits late, and ours does not.
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase } from '../support/database.ts';
import { describeEventStoreContract } from './eventStoreContract.ts';

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase('eventstore');
  await migrate(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 20 });
  const store = createPostgresEventStore({ pool });
  return {
    store,
    async teardown() {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
});
