// Event store readers wait behind the oldest open transaction (gap-free ordering), so a transaction of
// ours left open by mistake is ended by PostgreSQL after DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS; the
// process survives it and goes on serving.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('database', { DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '300' });
});
afterAll(async () => t?.stop());

it('ends a transaction left idle, without taking the process down', async () => {
  const client = await t.app.pg.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_current_xact_id()');
  await sleep(1_000);
  await expect(client.query('SELECT 1')).rejects.toThrow();
  client.release(true);

  // the store's head is readable again (no transaction holds back the snapshot) and the app answers
  expect(await t.app.eventStore.headPosition()).toBeNull();
  const ready = await t.app.inject({ url: '/readyz' });
  expect(ready.json().checks.database).toEqual({ ok: true });
});
