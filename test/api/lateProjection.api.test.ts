// Writes while the projector is behind: the write is durable and its answer says so (202 with the
// position), and a write that made something says what it made, so the client can fetch it once the read
// models have it (?wait_for=).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAppProjections } from '../../src/app.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let stopProjections: (() => Promise<void>) | undefined;

beforeAll(async () => {
  t = await startTestApp('late_projection', {}, {}, { projector: false });
  alice = await clientFor(t.app, randomUUID());
});
afterAll(async () => {
  await stopProjections?.();
  await t?.stop();
});

it('answers 202 with the new room’s id and the position, and the room is there once projected', async () => {
  const created = await alice.post('/api/chat/rooms/', { room_type: 'group', name: 'while behind' });
  expect(created.status).toBe(202);
  expect(created.body).toEqual({ ok: true, id: expect.any(String), position: expect.any(String) });

  // a send repeated with its client id is the same message: the repeat names it
  const sent = await alice.post(`/api/chat/rooms/${created.body.id}/messages/`, {
    content: 'first',
    client_id: 'c-1',
  });
  expect(sent.status).toBe(201);
  const again = await alice.post(`/api/chat/rooms/${created.body.id}/messages/`, {
    content: 'first',
    client_id: 'c-1',
  });
  expect(again.status).toBe(202);
  expect(again.body.id).toBe(sent.body.id);

  const projections = await startAppProjections(t.app);
  stopProjections = () => projections.stop();
  const room = await alice.get(`/api/chat/rooms/${created.body.id}/?wait_for=${again.body.position}`);
  expect(room.status).toBe(200);
  expect(room.body).toMatchObject({ id: created.body.id, name: 'while behind' });
  const messages = await alice.get(`/api/chat/rooms/${created.body.id}/messages/`);
  expect(messages.body.results.map((message: { id: string }) => message.id)).toEqual([sent.body.id]);
}, 30_000);
