// What the retention tests share: events written on past days as the app would have written them then
// (through the encrypting store, so with those days' keys), and a real retention run through its job.
import { expect } from 'vitest';
import type { App } from '../../../src/app.ts';
import type { ChatEvent } from '../../../src/domain/events.ts';
import { encodePosition } from '../../../src/eventstore/eventStore.ts';
import type { UserClient } from '../../api/support/client.ts';
import { toAppend } from '../../projections/support/chatWorkload.ts';

/** appends `event` as of `occurredAt`; returns where it landed */
export async function appendAsOf(app: App, event: ChatEvent, occurredAt: string): Promise<string> {
  const { stream, event: toStore } = toAppend(event, occurredAt);
  const appended = await app.eventStore.appendToStream(stream, [toStore], { expectedRevision: 'any' });
  return encodePosition(appended.position);
}

/** asks for a real run over REST (a privacy officer) and waits for its job; returns its report */
export async function runRetentionJob(officer: UserClient): Promise<{ rooms: unknown[] }> {
  const asked = await officer.post('/api/privacy/retention/runs/', { dry_run: false });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  for (let waited = 0; waited < 30_000; waited += 100) {
    const run = await officer.get(`/api/privacy/retention/runs/${asked.body.id}/`);
    expect(run.status).toBe(200);
    if (run.body.state === 'completed') return run.body.report;
    expect(run.body.state).not.toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the retention run did not complete');
}
