// Input the server refuses, with application/problem+json, a stable code and the offending field:
// unknown fields, server-owned fields, malformed ids and JSON, oversized and mistyped bodies.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
/** the moderators' routes are 404 to anyone else, before validation: their bodies are checked as a moderator */
let moderator: UserClient;
let roomId: string;

beforeAll(async () => {
  t = await startTestApp('validation');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  moderator = await clientFor(t.app, uuidv4(), { username: 'moderator', roles: ['moderator'] });
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
    const hugeCursor = await alice.get(`/api/chat/rooms/${roomId}/messages/?after=2147483648`);
    expect(hugeCursor).toMatchObject({ status: 400, body: { field: 'query.after' } });
    const badPosition = await alice.get(`/api/chat/rooms/?wait_for=tomorrow`);
    expect(badPosition).toMatchObject({ status: 400, body: { field: 'query.wait_for' } });
    // not the fixed-width form positions are handed out in: it would sort after all of them, and wait 5 s
    const shortPosition = await alice.get(`/api/chat/rooms/?wait_for=41-18`);
    expect(shortPosition).toMatchObject({ status: 400, body: { field: 'query.wait_for' } });
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
    // an empty JSON body is no body: where one is required, validation says so
    const empty = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'validation_failed', field: 'body' });
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

  it('reads a cursor it did not make as the first page', async () => {
    const first = await alice.get('/api/chat/rooms/');
    const forgeries = [
      ['not a date', roomId],
      ['2026-02-30T10:00:00.123456+00:00', roomId],
      ['2026-01-01T10:00:00+99:00', roomId],
      ['2026-01-01T00:00:00Z', 'a\u0000b'],
      [1, 2],
      'x',
    ];
    for (const forged of forgeries) {
      const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
      const answer = await alice.get(`/api/chat/rooms/?cursor=${cursor}`);
      expect({ forged, answer }).toMatchObject({ answer: { status: 200, body: first.body } });
    }
  });

  it('answers unknown routes with a problem too', async () => {
    const answer = await alice.get('/api/chat/nothing-here/');
    expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it('answers what the router refuses before any route as a problem too', async () => {
    const badEncoding = await alice.get('/api/chat/rooms/%E0%A4%A/');
    expect(badEncoding).toMatchObject({ status: 400, body: { code: 'malformed_url' } });
    expect(badEncoding.headers['content-type']).toContain('application/problem+json');
    const tooLong = await alice.get(`/api/chat/rooms/${'a'.repeat(101)}/`);
    expect(tooLong).toMatchObject({ status: 414, body: { code: 'uri_too_long' } });
    expect(tooLong.headers['content-type']).toContain('application/problem+json');
  });

  it('accepts paths without the trailing slash', async () => {
    expect((await alice.get(`/api/chat/rooms/${roomId}`)).status).toBe(200);
  });
});

// docs/api.md, "Text": what no text field may hold, and what names and bodies may not contain besides
describe('text', () => {
  const NUL = 'a\u0000b';
  const LONE_SURROGATE = 'broken \ud83d';
  const BIDI_OVERRIDE = 'invoice\u202Efdp.exe';
  const ESCAPE_SEQUENCE = 'red \u001b[31m';
  let messageId: string;
  beforeAll(async () => {
    messageId = (await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'first' })).body.id;
  });

  type Case = { field: string; call(bad: string): Promise<{ status: number; body: unknown }>; name: boolean };
  const inQuery = (field: string) => field.startsWith('query.');
  const cases = (): Case[] => [
    {
      field: 'body.name',
      name: true,
      call: (bad) => alice.post('/api/chat/rooms/', { name: bad, room_type: 'group' }),
    },
    {
      field: 'body.task',
      name: true,
      call: (bad) => alice.post('/api/chat/rooms/', { room_type: 'task', task: bad }),
    },
    {
      field: 'body.property',
      name: true,
      call: (bad) => alice.post('/api/chat/rooms/', { room_type: 'property', property: bad }),
    },
    {
      field: 'body.name',
      name: true,
      call: (bad) => alice.patch(`/api/chat/rooms/${roomId}/`, { name: bad }),
    },
    {
      field: 'query.task',
      name: true,
      call: (bad) => alice.get(`/api/chat/rooms/?task=${encodeURIComponent(bad)}`),
    },
    {
      field: 'query.property',
      name: true,
      call: (bad) => alice.get(`/api/chat/rooms/?property=${encodeURIComponent(bad)}`),
    },
    {
      field: 'body.content',
      name: false,
      call: (bad) => alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: bad }),
    },
    {
      field: 'body.client_id',
      name: true,
      call: (bad) => alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'hi', client_id: bad }),
    },
    {
      field: 'body.content',
      name: false,
      call: (bad) => alice.patch(`/api/chat/messages/${messageId}/`, { content: bad }),
    },
    {
      field: 'body.emoji',
      name: true,
      call: (bad) => alice.post(`/api/chat/messages/${messageId}/reactions/`, { emoji: bad }),
    },
    {
      field: 'body.emoji',
      name: true,
      call: (bad) => alice.delete(`/api/chat/messages/${messageId}/reactions/`, { emoji: bad }),
    },
    {
      field: 'body.username',
      name: true,
      call: (bad) =>
        alice.post(`/api/chat/rooms/${roomId}/participants/`, { user_id: 'u-42', username: bad }),
    },
    {
      field: 'body.reason',
      name: false,
      call: (bad) => alice.post(`/api/chat/messages/${messageId}/report/`, { reason: bad }),
    },
    {
      field: 'body.reason',
      name: false,
      call: (bad) => moderator.post(`/api/chat/moderation/messages/${messageId}/hide/`, { reason: bad }),
    },
  ];

  it('refuses the NUL character and lone surrogates in every text field: 400 invalid_text naming it', async () => {
    for (const { field, call } of cases()) {
      // a URL carries UTF-8, in which a lone surrogate has no encoding (its CESU-8 bytes stay as sent)
      for (const bad of inQuery(field) ? [NUL] : [NUL, LONE_SURROGATE]) {
        const answer = await call(bad);
        expect({ field, bad, answer }).toMatchObject({
          answer: {
            status: 400,
            body: { code: 'invalid_text', field, detail: expect.stringMatching(/U\+/) },
          },
        });
      }
    }
    const cursor = await alice.get(`/api/chat/rooms/?cursor=${encodeURIComponent(NUL)}`);
    expect(cursor).toMatchObject({ status: 400, body: { code: 'invalid_text', field: 'query.cursor' } });
  });

  it('refuses control characters in bodies, and bidi controls too in names', async () => {
    for (const { field, call, name } of cases()) {
      const answers = [await call(ESCAPE_SEQUENCE), ...(name ? [await call(BIDI_OVERRIDE)] : [])];
      for (const answer of answers) {
        expect({ field, answer }).toMatchObject({
          answer: { status: 400, body: { code: 'invalid_text', field } },
        });
      }
    }
  });

  it('refuses a token whose username is no valid name', async () => {
    const mallory = await clientFor(t.app, uuidv4(), { username: 'mallory\u202e' });
    expect(await mallory.get('/api/chat/rooms/')).toMatchObject({
      status: 401,
      body: { code: 'token_claims_invalid' },
    });
  });

  it('keeps ordinary text as it is: accents, RTL letters, CJK, emoji, lines in a message', async () => {
    const name = 'Küche – מטבח – 厨房 👩‍🍳';
    const room = await alice.post('/api/chat/rooms/', { name, room_type: 'task', task: 'T-ü 17' });
    expect(room).toMatchObject({ status: 201, body: { name, task: 'T-ü 17' } });
    const content = 'Line one\n\tمرحبا 中文 👍🏽\r\nשלום';
    const sent = await alice.post(`/api/chat/rooms/${room.body.id}/messages/`, { content, client_id: 'ü-1' });
    expect(sent).toMatchObject({ status: 201, body: { content } });
    const reacted = await alice.post(`/api/chat/messages/${sent.body.id}/reactions/`, { emoji: '👨‍👩‍👧' });
    expect(reacted.body.reactions).toEqual([expect.objectContaining({ emoji: '👨‍👩‍👧' })]);
  });
});
