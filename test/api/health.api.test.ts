// Readiness follows the projector: with nobody projecting, the read models go stale and /readyz says so.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('health');
});
afterAll(async () => t?.stop());

it('is ready while the projector runs, and 503 not_ready once it stops, while /healthz stays up', async () => {
  expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  await t.projections.stop();
  const answer = await t.app.inject({ url: '/readyz' });
  expect(answer.statusCode).toBe(503);
  expect(answer.json()).toMatchObject({
    status: 'not_ready',
    checks: {
      database: { ok: true },
      redis: { ok: true },
      event_store: { ok: true },
      projections: { ok: false },
    },
  });
  expect(answer.json().checks.projections.detail).toContain('stopped');
  expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
});
