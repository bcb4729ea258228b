// A user who is not a participant learns nothing of a room: every id of the room (the room, its messages,
// participants, attachments, edit history, reactions, read receipts, mark-read) answers exactly as an id
// that does not exist: the same 404, the same body.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { multipartFile, TINY_PNG } from './support/multipart.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let mallory: UserClient;
const ids = { room: '', message: '', participant: '', attachment: '' };

beforeAll(async () => {
  t = await startTestApp('authz');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  const bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  mallory = await clientFor(t.app, uuidv4(), { username: 'mallory', roles: ['auditor'] });

  const room = await alice.post('/api/chat/rooms/', {
    name: 'Private',
    room_type: 'group',
    participant_ids: [bob.userId],
  });
  ids.room = room.body.id;
  const upload = await t.app.inject({
    method: 'POST',
    url: `/api/chat/rooms/${ids.room}/attachments/`,
    ...withAuth(multipartFile('photo.png', 'image/png', TINY_PNG), await authFor(alice.userId)),
  });
  ids.attachment = upload.json().id;
  const message = await alice.post(`/api/chat/rooms/${ids.room}/messages/`, {
    content: 'secret',
    attachment_id: ids.attachment,
  });
  ids.message = message.body.id;
  await alice.patch(`/api/chat/messages/${ids.message}/`, { content: 'secret (edited)' });
  await bob.post(`/api/chat/messages/${ids.message}/reactions/`, { emoji: '👀' });
  const participants = await alice.get(`/api/chat/rooms/${ids.room}/participants/`);
  ids.participant = participants.body.find((p: { user: { id: string } }) => p.user.id === bob.userId).id;
  expect(Object.values(ids).every(Boolean)).toBe(true);
});
afterAll(async () => t?.stop());

function withAuth(body: { payload: Buffer; headers: Record<string, string> }, auth: Record<string, string>) {
  return { payload: body.payload, headers: { ...body.headers, ...auth } };
}

type Probe = [
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: (id: string) => string,
  kind: keyof typeof ids,
  body?: unknown,
];

const PROBES: Probe[] = [
  ['GET', (id) => `/api/chat/rooms/${id}/`, 'room'],
  ['PATCH', (id) => `/api/chat/rooms/${id}/`, 'room', { name: 'mine' }],
  ['DELETE', (id) => `/api/chat/rooms/${id}/`, 'room'],
  ['POST', (id) => `/api/chat/rooms/${id}/archive/`, 'room'],
  ['POST', (id) => `/api/chat/rooms/${id}/unarchive/`, 'room'],
  ['POST', (id) => `/api/chat/rooms/${id}/leave/`, 'room'],
  ['GET', (id) => `/api/chat/rooms/${id}/messages/`, 'room'],
  ['POST', (id) => `/api/chat/rooms/${id}/messages/`, 'room', { content: 'hi' }],
  ['POST', (id) => `/api/chat/rooms/${id}/mark-read/`, 'room'],
  ['GET', (id) => `/api/chat/rooms/${id}/participants/`, 'room'],
  ['POST', (id) => `/api/chat/rooms/${id}/participants/`, 'room', { user_id: uuidv4() }],
  ['GET', (id) => `/api/chat/messages/${id}/`, 'message'],
  ['PATCH', (id) => `/api/chat/messages/${id}/`, 'message', { content: 'x' }],
  ['DELETE', (id) => `/api/chat/messages/${id}/`, 'message'],
  ['GET', (id) => `/api/chat/messages/${id}/history/`, 'message'],
  ['GET', (id) => `/api/chat/messages/${id}/readers/`, 'message'],
  ['POST', (id) => `/api/chat/messages/${id}/reactions/`, 'message', { emoji: '👍' }],
  ['DELETE', (id) => `/api/chat/messages/${id}/reactions/`, 'message', { emoji: '👀' }],
  ['POST', (id) => `/api/chat/messages/${id}/report/`, 'message', { reason: 'curious' }],
  ['PATCH', (id) => `/api/chat/participants/${id}/`, 'participant', { muted: true }],
  ['DELETE', (id) => `/api/chat/participants/${id}/`, 'participant'],
  ['GET', (id) => `/api/chat/attachments/${id}/`, 'attachment'],
];

describe('a non-participant', () => {
  it.each(PROBES)(
    '%s %s answers 404, exactly as for an id that does not exist',
    async (method, url, kind, body) => {
      const call = (id: string) =>
        mallory[
          method === 'GET' ? 'get' : method === 'POST' ? 'post' : method === 'PATCH' ? 'patch' : 'delete'
        ](url(id), body as never);
      const real = await call(ids[kind]);
      const made_up = await call(uuidv4());
      expect(real.status).toBe(404);
      expect(real.body).toEqual(made_up.body);
    },
  );

  it('cannot upload into the room', async () => {
    const upload = (roomId: string) =>
      authFor(mallory.userId).then((auth) =>
        t.app.inject({
          method: 'POST',
          url: `/api/chat/rooms/${roomId}/attachments/`,
          ...withAuth(multipartFile('x.png', 'image/png', TINY_PNG), auth),
        }),
      );
    const [real, madeUp] = [await upload(ids.room), await upload(uuidv4())];
    expect(real.statusCode).toBe(404);
    expect(real.json()).toEqual(madeUp.json());
  });

  it('does not see the room in their list', async () => {
    const list = await mallory.get('/api/chat/rooms/');
    expect(list.body.results).toEqual([]);
  });

  it('changed nothing by trying', async () => {
    const room = await alice.get(`/api/chat/rooms/${ids.room}/`);
    expect(room.body).toMatchObject({ name: 'Private', is_active: true, participant_count: 2 });
    const message = await alice.get(`/api/chat/messages/${ids.message}/`);
    expect(message.body).toMatchObject({
      content: 'secret (edited)',
      reactions: [{ emoji: '👀', count: 1 }],
    });
  });
});

describe('an id that is not a uuid', () => {
  it('is refused before any query, naming the parameter', async () => {
    const answer = await alice.get("/api/chat/rooms/1' OR '1'='1/");
    expect(answer).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'params.id' } });
  });
});
