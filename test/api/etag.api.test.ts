// Optimistic concurrency over HTTP: rooms and messages answer with an ETag (their stream's revision), and
// an edit or admin change sent with If-Match is applied only if nothing changed since; without If-Match
// it changes what is there, as it always did.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let bob: UserClient;

beforeAll(async () => {
  t = await startTestApp('etag');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
});
afterAll(async () => t?.stop());

async function room() {
  const created = await alice.post('/api/chat/rooms/', {
    name: 'Boiler',
    room_type: 'group',
    participant_ids: [bob.userId],
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; position: string };
}

describe('If-Match', () => {
  it('refuses an edit made from a stale view with 412, keeps the newer text', async () => {
    const { id: roomId } = await room();
    const sent = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'v1' });
    const seen = await alice.get(`/api/chat/messages/${sent.body.id}/?wait_for=${sent.body.position}`);
    const etag = seen.headers.etag as string;
    expect(etag).toBe('W/"0"');

    const first = await alice.patch(
      `/api/chat/messages/${sent.body.id}/`,
      { content: 'v2' },
      { 'if-match': etag },
    );
    expect(first.status).toBe(200);
    expect(first.headers.etag).toBe('W/"1"');
    // a second device with the old view
    const stale = await alice.patch(
      `/api/chat/messages/${sent.body.id}/`,
      { content: 'v2 from the phone' },
      { 'if-match': etag },
    );
    expect(stale).toMatchObject({ status: 412, body: { code: 'precondition_failed' } });
    const now = await alice.get(`/api/chat/messages/${sent.body.id}/?wait_for=${first.body.position}`);
    expect(now.body.content).toBe('v2');
    expect(now.headers.etag).toBe('W/"1"');

    // without If-Match, or with *, it is applied as before
    const blind = await alice.patch(`/api/chat/messages/${sent.body.id}/`, { content: 'v3' });
    expect(blind.status).toBe(200);
    const star = await alice.patch(
      `/api/chat/messages/${sent.body.id}/`,
      { content: 'v4' },
      { 'if-match': '*' },
    );
    expect(star.status).toBe(200);
    const garbage = await alice.patch(
      `/api/chat/messages/${sent.body.id}/`,
      { content: 'v5' },
      { 'if-match': 'yesterday' },
    );
    expect(garbage).toMatchObject({ status: 400, body: { code: 'invalid_if_match' } });
  });

  it('a reaction since the view also makes it stale (the ETag is the whole message)', async () => {
    const { id: roomId } = await room();
    const sent = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'hello' });
    const seen = await alice.get(`/api/chat/messages/${sent.body.id}/?wait_for=${sent.body.position}`);
    const reacted = await bob.post(`/api/chat/messages/${sent.body.id}/reactions/`, { emoji: '👍' });
    expect(reacted.status).toBeLessThan(300);
    const edit = await alice.patch(
      `/api/chat/messages/${sent.body.id}/`,
      { content: 'hello!' },
      { 'if-match': seen.headers.etag as string },
    );
    expect(edit.status).toBe(412);
  });

  it('guards room renames and participant changes with the room ETag', async () => {
    const created = await room();
    const seen = await alice.get(`/api/chat/rooms/${created.id}/?wait_for=${created.position}`);
    const etag = seen.headers.etag as string;
    expect(etag).toMatch(/^W\/"\d+"$/);
    const renamed = await alice.patch(
      `/api/chat/rooms/${created.id}/`,
      { name: 'Boiler room' },
      { 'if-match': etag },
    );
    expect(renamed.status).toBe(200);
    const stale = await alice.patch(
      `/api/chat/rooms/${created.id}/`,
      { name: 'Boiler (old view)' },
      { 'if-match': etag },
    );
    expect(stale).toMatchObject({ status: 412, body: { code: 'precondition_failed' } });

    const members = await alice.get(
      `/api/chat/rooms/${created.id}/participants/?wait_for=${renamed.body.position}`,
    );
    const bobAsParticipant = members.body.find((p: { user: { id: string } }) => p.user.id === bob.userId);
    const refused = await alice.patch(
      `/api/chat/participants/${bobAsParticipant.id}/`,
      { is_admin: true },
      { 'if-match': etag },
    );
    expect(refused.status).toBe(412);
    const made = await alice.patch(
      `/api/chat/participants/${bobAsParticipant.id}/`,
      { is_admin: true, muted: false },
      { 'if-match': renamed.headers.etag as string },
    );
    expect(made.status).toBe(200);
    expect(made.body.is_admin).toBe(true);
  });
});
