// Every REST endpoint's happy path against the real app (PostgreSQL, Redis, projector running), as the
// Flutter app would use them: write, then read your write with ?wait_for=<position>.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let bob: UserClient;
let carol: UserClient;
let moderator: UserClient;

beforeAll(async () => {
  t = await startTestApp('chat_api');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  carol = await clientFor(t.app, '42', { sub: undefined, user_id: 42, username: 'carol' }); // a SimpleJWT id
  moderator = await clientFor(t.app, uuidv4(), { username: 'mod', roles: ['moderator'] });
});
afterAll(async () => t?.stop());

async function groupRoom(name = 'Pool repairs'): Promise<{ id: string; position: string }> {
  const created = await alice.post('/api/chat/rooms/', {
    name,
    room_type: 'task',
    task: 'T-17',
    participant_ids: [bob.userId],
  });
  expect(created.status).toBe(201);
  return created.body;
}

describe('health', () => {
  it('answers /healthz, and /readyz once the database, Redis, store and projector are fine', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({
      database: { ok: true },
      redis: { ok: true },
      event_store: { ok: true },
      projections: { ok: true },
    });
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/chat/rooms/',
        '/api/chat/rooms/{room_id}/messages/',
        '/api/chat/participants/{id}/',
      ]),
    );
    expect(doc.components.schemas).toHaveProperty('Message');
    const upload = doc.paths['/api/chat/rooms/{room_id}/attachments/'].post;
    expect(upload.requestBody.content['multipart/form-data'].schema.properties.file.format).toBe('binary');
    expect((await t.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });
});

describe('rooms', () => {
  it('creates a room with the creator as admin, lists it with unread counts, reads, renames, archives', async () => {
    const room = await groupRoom();
    expect(room).toMatchObject({ name: 'Pool repairs', room_type: 'task', task: 'T-17', unread_count: 0 });
    expect(room.position).toMatch(/^\d+-\d+$/);

    const sent = await bob.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'On my way' });
    const list = await alice.get(`/api/chat/rooms/?wait_for=${sent.body.position}`);
    expect(list.status).toBe(200);
    const listed = list.body.results.find((r: { id: string }) => r.id === room.id);
    expect(listed).toMatchObject({
      unread_count: 1,
      last_message: { content: 'On my way', sender: { username: 'bob' } },
    });

    expect(
      (await alice.get('/api/chat/rooms/?type=direct')).body.results.map((r: { id: string }) => r.id),
    ).not.toContain(room.id);
    expect(
      (await alice.get('/api/chat/rooms/?task=T-17')).body.results.map((r: { id: string }) => r.id),
    ).toContain(room.id);

    const renamed = await alice.patch(`/api/chat/rooms/${room.id}/`, { name: 'Pool repairs (urgent)' });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Pool repairs (urgent)' } });
    expect((await alice.get(`/api/chat/rooms/${room.id}/`)).body.name).toBe('Pool repairs (urgent)');

    const archived = await alice.post(`/api/chat/rooms/${room.id}/archive/`);
    expect(archived.status).toBe(200);
    expect(archived.headers['x-chat-position']).toBe(archived.body.position);
    const after = await alice.get(`/api/chat/rooms/${room.id}/?wait_for=${archived.body.position}`);
    expect(after.body.is_active).toBe(false);
    const refused = await bob.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'still there?' });
    expect(refused).toMatchObject({ status: 409, body: { code: 'room_archived' } });
  });

  it("accepts the seed clients' integer ids (Django users, tasks, properties) and keeps them as text", async () => {
    const created = await alice.post('/api/chat/rooms/', {
      name: 'Unit 12',
      room_type: 'property',
      property: 12,
      participant_ids: [42],
    });
    expect(created).toMatchObject({ status: 201, body: { property: '12' } });
    const members = await alice.get(`/api/chat/rooms/${created.body.id}/participants/`);
    expect(members.body.map((p: { user: { id: string } }) => p.user.id)).toContain('42');
    expect((await carol.get('/api/chat/rooms/?property=12')).body.results).toHaveLength(1);
  });

  it('returns the one direct room between two users, whoever creates it', async () => {
    const first = await alice.post('/api/chat/rooms/', {
      room_type: 'direct',
      participant_ids: [carol.userId],
    });
    expect(first.status).toBe(201);
    const again = await carol.post('/api/chat/rooms/', {
      room_type: 'direct',
      participant_ids: [alice.userId],
    });
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
  });

  it('lets a participant leave; the room is then gone for them', async () => {
    const room = await groupRoom('Leaving');
    const left = await bob.post(`/api/chat/rooms/${room.id}/leave/`);
    expect(left.status).toBe(200);
    expect((await bob.get(`/api/chat/rooms/${room.id}/?wait_for=${left.body.position}`)).status).toBe(404);
    const deleted = await alice.delete(`/api/chat/rooms/${room.id}/`);
    expect(deleted.status).toBe(200);
  });
});

describe('messages', () => {
  it('sends, reads back with wait_for, pages by seq both ways', async () => {
    const room = await groupRoom('Paging');
    let last = '';
    for (let i = 1; i <= 5; i++) {
      const sent = await alice.post(`/api/chat/rooms/${room.id}/messages/`, { content: `m${i}` });
      expect(sent.status).toBe(201);
      expect(sent.body).toMatchObject({
        content: `m${i}`,
        sender: { id: alice.userId, username: 'alice' },
        is_edited: false,
      });
      last = sent.body.position;
    }
    const newest = await bob.get(`/api/chat/rooms/${room.id}/messages/?limit=2&wait_for=${last}`);
    expect(newest.body.results.map((m: { content: string }) => m.content)).toEqual(['m4', 'm5']);
    expect(newest.body.has_more).toBe(true);
    const older = await bob.get(
      `/api/chat/rooms/${room.id}/messages/?limit=10&before=${newest.body.results[0].seq}`,
    );
    expect(older.body.results.map((m: { content: string }) => m.content)).toEqual(['m1', 'm2', 'm3']);
    expect(older.body.has_more).toBe(false);
    const newer = await bob.get(
      `/api/chat/rooms/${room.id}/messages/?limit=2&after=${older.body.results[0].seq}`,
    );
    expect(newer.body.results.map((m: { content: string }) => m.content)).toEqual(['m2', 'm3']);
    expect(newer.body.has_more).toBe(true);
  });

  it('answers a send with the message as every later read shows it, its recorded time included', async () => {
    const room = await groupRoom('Times');
    const sent = await alice.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'when?' });
    expect(sent.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 20)); // an answer made up now would differ
    const read = await bob.get(`/api/chat/messages/${sent.body.id}/?wait_for=${sent.body.position}`);
    const { seq: _sentSeq, position: _position, ...answered } = sent.body;
    const { seq, ...stored } = read.body;
    expect(answered).toEqual(stored);
    expect(_sentSeq).toBeNull();
    expect(seq).toEqual(expect.any(Number));
  });

  it('is idempotent by client_id, and refuses the same client_id with other content', async () => {
    const room = await groupRoom('Retries');
    const url = `/api/chat/rooms/${room.id}/messages/`;
    const first = await alice.post(url, { content: 'once', client_id: 'c-1' });
    const retry = await alice.post(url, { content: 'once', client_id: 'c-1' });
    expect(first.status).toBe(201);
    expect(retry).toMatchObject({ status: 200, body: { id: first.body.id, content: 'once' } });
    const conflict = await alice.post(url, { content: 'twice', client_id: 'c-1' });
    expect(conflict).toMatchObject({ status: 409, body: { code: 'idempotency_conflict' } });
    const page = await alice.get(`${url}?wait_for=${retry.body.position}`);
    expect(page.body.results).toHaveLength(1);
  });

  it('edits with history, reacts, replies, deletes to a tombstone', async () => {
    const room = await groupRoom('Editing');
    const sent = await alice.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'helo' });
    const id = sent.body.id;
    const edited = await alice.patch(`/api/chat/messages/${id}/`, { content: 'hello' });
    expect(edited).toMatchObject({ status: 200, body: { content: 'hello', is_edited: true } });
    const history = await bob.get(`/api/chat/messages/${id}/history/`);
    expect(history.body.map((e: { content: string }) => e.content)).toEqual(['helo']);
    expect((await bob.patch(`/api/chat/messages/${id}/`, { content: 'mine now' })).status).toBe(403);

    const reacted = await bob.post(`/api/chat/messages/${id}/reactions/`, { emoji: '👍' });
    expect(reacted.body.reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [bob.userId] }]);
    const unreacted = await bob.delete(`/api/chat/messages/${id}/reactions/`, { emoji: '👍' });
    expect(unreacted.body.reactions).toEqual([]);

    const reply = await bob.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'hi', reply_to: id });
    expect(reply.body.reply_to).toBe(id);

    const deleted = await alice.delete(`/api/chat/messages/${id}/`);
    expect(deleted.status).toBe(200);
    const tombstone = await bob.get(`/api/chat/messages/${id}/?wait_for=${deleted.body.position}`);
    expect(tombstone.body).toMatchObject({ is_deleted: true, content: '' });
    expect((await bob.get(`/api/chat/messages/${id}/history/`)).body).toEqual([]);
  });

  it('marks read: unread count drops to 0 and the reader shows in read receipts', async () => {
    const room = await groupRoom('Reading');
    const sent = await alice.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'read me' });
    const before = await bob.get(`/api/chat/rooms/${room.id}/?wait_for=${sent.body.position}`);
    expect(before.body.unread_count).toBe(1);
    const read = await bob.post(`/api/chat/rooms/${room.id}/mark-read/`);
    expect(read.status).toBe(200);
    const after = await bob.get(`/api/chat/rooms/${room.id}/?wait_for=${read.body.position}`);
    expect(after.body.unread_count).toBe(0);
    const readers = await alice.get(`/api/chat/messages/${sent.body.id}/readers/`);
    expect(readers.body.map((r: { user: { id: string } }) => r.user.id)).toEqual([bob.userId]);
    const upTo = await bob.post(`/api/chat/rooms/${room.id}/mark-read/`, { message_id: sent.body.id });
    expect(upTo.status).toBe(200);
  });
});

describe('participants', () => {
  it('adds, lists, mutes until a time, unmutes, makes admin, removes', async () => {
    const room = await groupRoom('Members');
    const added = await alice.post(`/api/chat/rooms/${room.id}/participants/`, {
      user_id: carol.userId,
      username: 'carol',
    });
    expect(added).toMatchObject({
      status: 201,
      body: { user: { id: '42', username: 'carol' }, is_admin: false },
    });
    const pid = added.body.id;

    const list = await bob.get(`/api/chat/rooms/${room.id}/participants/`);
    expect(list.body.map((p: { user: { id: string } }) => p.user.id).sort()).toEqual(
      [alice.userId, bob.userId, '42'].sort(),
    );

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const muted = await alice.patch(`/api/chat/participants/${pid}/`, { muted: true, muted_until: until });
    expect(muted).toMatchObject({ status: 200, body: { muted: true, muted_until: until } });
    const silenced = await carol.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'let me talk' });
    expect(silenced).toMatchObject({ status: 403, body: { code: 'participant_muted' } });
    expect((await alice.patch(`/api/chat/participants/${pid}/`, { muted: false })).body.muted).toBe(false);

    expect((await bob.patch(`/api/chat/participants/${pid}/`, { is_admin: true })).status).toBe(403);
    expect((await alice.patch(`/api/chat/participants/${pid}/`, { is_admin: true })).body.is_admin).toBe(
      true,
    );

    const removed = await alice.delete(`/api/chat/participants/${pid}/`);
    expect(removed.status).toBe(200);
    expect((await carol.get(`/api/chat/rooms/${room.id}/?wait_for=${removed.body.position}`)).status).toBe(
      404,
    );
  });
});

describe('safety', () => {
  it('blocks and unblocks a user; a blocked pair cannot write in their direct room', async () => {
    const direct = await alice.post('/api/chat/rooms/', {
      room_type: 'direct',
      participant_ids: [bob.userId],
    });
    const blocked = await alice.post(`/api/chat/users/${bob.userId}/block/`);
    expect(blocked.status).toBe(200);
    expect((await alice.get(`/api/chat/blocks/?wait_for=${blocked.body.position}`)).body.user_ids).toEqual([
      bob.userId,
    ]);
    const refused = await bob.post(`/api/chat/rooms/${direct.body.id}/messages/`, { content: 'hey' });
    expect(refused).toMatchObject({ status: 403, body: { code: 'user_blocked' } });
    const unblocked = await alice.delete(`/api/chat/users/${bob.userId}/block/`);
    expect((await alice.get(`/api/chat/blocks/?wait_for=${unblocked.body.position}`)).body.user_ids).toEqual(
      [],
    );
  });

  it('reports a message; a moderator sees the queue, hides the message, restores it', async () => {
    const room = await groupRoom('Moderation');
    const sent = await alice.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'rude words' });
    const report = await bob.post(`/api/chat/messages/${sent.body.id}/report/`, { reason: 'abusive' });
    expect(report).toMatchObject({ status: 201, body: { message: sent.body.id, room: room.id } });

    expect((await bob.get('/api/chat/moderation/reports/')).status).toBe(404);
    const queue = await moderator.get(`/api/chat/moderation/reports/?wait_for=${report.body.position}`);
    expect(queue.body.map((r: { id: string }) => r.id)).toContain(report.body.id);

    const hidden = await moderator.post(`/api/chat/moderation/messages/${sent.body.id}/hide/`, {
      reason: 'abuse',
      report_ids: [report.body.id],
    });
    expect(hidden.status).toBe(200);
    const seen = await bob.get(`/api/chat/messages/${sent.body.id}/?wait_for=${hidden.body.position}`);
    expect(seen.body).toMatchObject({ is_hidden: true, content: '' });
    const restored = await moderator.post(`/api/chat/moderation/messages/${sent.body.id}/restore/`);
    const back = await bob.get(`/api/chat/messages/${sent.body.id}/?wait_for=${restored.body.position}`);
    expect(back.body).toMatchObject({ is_hidden: false, content: 'rude words' });

    const other = await bob.post(`/api/chat/rooms/${room.id}/messages/`, { content: 'fine' });
    const second = await alice.post(`/api/chat/messages/${other.body.id}/report/`, { reason: 'spam' });
    const dismissed = await moderator.post(`/api/chat/moderation/reports/${second.body.id}/dismiss/`);
    expect(dismissed.status).toBe(200);
    const open = await moderator.get(`/api/chat/moderation/reports/?wait_for=${dismissed.body.position}`);
    expect(open.body.map((r: { id: string }) => r.id)).not.toContain(second.body.id);
  });
});
