// Input the server refuses, with application/problem+json, a stable code and the offending field:
// unknown fields, server-owned fields, malformed ids and JSON, oversized and mistyped bodies.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let roomId: string;

beforeAll(async () => {
  t = await startTestApp('validation');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  roomId = (await alice.post('/api/chat/rooms/', { name: 'Checks', room_type: 'group' })).body.id;
});
afterAll(async () => t?.stop());

describe('bodies', () => {
  it('refuses unknown fields, naming them', async () => {
    const answer = await alice.post('/api/chat/rooms/', { name: 'x', room_type: 'group', colour: 'red' });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'unknown_field', field: 'body.colour' });
  });

  it.each([
    ['sender', { id: 'someone-else', username: 'ceo' }],
    ['created_at', '2020-01-01T00:00:00Z'],
    ['is_edited', true],
    ['id', uuidv4()],
    ['seq', 1],
  ])('refuses the server-owned message field %s', async (field, value) => {
    const answer = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'hi', [field]: value });
    expect(answer).toMatchObject({ status: 400, body: { code: 'unknown_field', field: `body.${field}` } });
  });

  it('refuses a system message from a plain user (only the server posts them)', async () => {
    const answer = await alice.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: 'hi',
      message_type: 'system',
    });
    expect(answer).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  });

  it('refuses a participant update that tries to set who the participant is', async () => {
    const list = await alice.get(`/api/chat/rooms/${roomId}/participants/`);
    const answer = await alice.patch(`/api/chat/participants/${list.body[0].id}/`, {
      user_id: uuidv4(),
      muted: true,
    });
    expect(answer).toMatchObject({ status: 400, body: { code: 'unknown_field', field: 'body.user_id' } });
  });

  it('names the invalid field and says why', async () => {
    const answer = await alice.post('/api/chat/rooms/', { name: 'x', room_type: 'broadcast' });
    expect(answer).toMatchObject({
      status: 400,
      body: { code: 'validation_failed', field: 'body.room_type' },
    });
    const tooLong = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'x'.repeat(4_001) });
    expect(tooLong).toMatchObject({ status: 400, body: { field: 'body.content' } });
    const badUser = await alice.post(`/api/chat/rooms/${roomId}/participants/`, { user_id: 'a b;drop' });
    expect(badUser).toMatchObject({ status: 400, body: { field: 'body.user_id' } });
    const badCursor = await alice.get(`/api/chat/rooms/${roomId}/messages/?before=abc`);
    expect(badCursor).toMatchObject({ status: 400, body: { field: 'query.before' } });
    const badPosition = await alice.get(`/api/chat/rooms/?wait_for=tomorrow`);
    expect(badPosition).toMatchObject({ status: 400, body: { field: 'query.wait_for' } });
  });

  it('refuses malformed JSON, other media types and oversized bodies', async () => {
    const headers = await authFor(alice.userId);
    const url = `/api/chat/rooms/${roomId}/messages/`;
    const malformed = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{"content": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('malformed_json');
    const text = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    const huge = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ content: 'x'.repeat(100 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('body_too_large');
  });

  it('answers unknown routes with a problem too', async () => {
    const answer = await alice.get('/api/chat/nothing-here/');
    expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it('accepts paths without the trailing slash', async () => {
    expect((await alice.get(`/api/chat/rooms/${roomId}`)).status).toBe(200);
  });
});
