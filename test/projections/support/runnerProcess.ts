// A projection runner in its own process, for the crash tests: with PROJECTION_CRASH=before-commit:N or
// after-commit:N it kills itself (SIGKILL, no cleanup) in that hook of its Nth live batch.
import pg from 'pg';
import { createPostgresEventStore } from '../../../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../../../src/projections/changeFeed.ts';
import type { BatchInfo } from '../../../src/projections/projectionRunner.ts';
import { startProjections } from '../../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../../src/projections/registry.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const eventStore = createPostgresEventStore({ pool, pollIntervalMs: 20 });
const [hook, batch] = (process.env.PROJECTION_CRASH ?? '').split(':');
const crashIn = (name: string) => (info: BatchInfo) => {
  // the crash tests count the chat projection's batches
  if (hook === name && info.projection === 'chat' && info.number === Number(batch))
    process.kill(process.pid, 'SIGKILL');
};

const runner = await startProjections({
  pool,
  eventStore,
  projections: PROJECTIONS,
  publisher: discardChanges,
  batchSize: Number(process.env.PROJECTION_BATCH_SIZE ?? 100),
  retryMs: 100,
  hooks: { beforeCommit: crashIn('before-commit'), afterCommit: crashIn('after-commit') },
});
process.stdout.write('started\n');
process.on('SIGTERM', async () => {
  await runner.stop();
  await eventStore.close();
  await pool.end();
  process.exit(0);
});
