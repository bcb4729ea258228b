// Readiness follows the projector: with nobody projecting, the read models go stale and /readyz says so,
// while /healthz (the process is up) stays 200. (chat.api.test.ts shows it ready with a projector.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('health', {}, {}, { projector: false });
});
afterAll(async () => t?.stop());

it('answers 503 not_ready naming the projections check when no projector runs', async () => {
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
  expect(answer.json().checks.projections.detail).toMatch(/not_started|stopped/);
  expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
});
