// Search over REST: the query language (words, phrases, exclusions, OR, prefixes, folded accents and case,
// names and numbers the English reading would stem or drop, operators), snippets with their markers,
// both sorts and their cursors, the room-scoped route, and that the index holds only current versions
// (edits replace, deletes and hides remove, a restore brings the text back).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../src/projections/search/queries.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { multipartFile, TINY_PNG } from './support/multipart.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let bob: UserClient;
let moderator: UserClient;
let roomId: string;
let otherRoomId: string;
let position = '0';
const ids: Record<string, string> = {};

const track = (answer: { status: number; body: { position?: string } }, status = 201) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  if (answer.body.position) position = answer.body.position;
  return answer.body as { id: string };
};

async function send(who: UserClient, room: string, key: string, content: string, attachmentId?: string) {
  const body = { content, ...(attachmentId ? { attachment_id: attachmentId } : {}) };
  ids[key] = track(await who.post(`/api/chat/rooms/${room}/messages/`, body)).id;
}

/** The keys of the messages a search finds, in the order it answers them. */
async function find(who: UserClient, q: string, extra = '', room?: string): Promise<string[]> {
  const answer = await search(who, q, extra, room);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.results.map((hit: { message: { id: string } }) => keyOf(hit.message.id));
}

function search(who: UserClient, q: string, extra = '', room?: string) {
  const base = room ? `/api/chat/rooms/${room}/messages/` : '/api/chat/search/';
  return who.get(`${base}?q=${encodeURIComponent(q)}&wait_for=${position}${extra}`);
}

const keyOf = (id: string) => Object.keys(ids).find((key) => ids[key] === id) ?? id;

beforeAll(async () => {
  t = await startTestApp('search_api');
  alice = await clientFor(t.app, randomUUID(), { username: 'alice' });
  bob = await clientFor(t.app, randomUUID(), { username: 'Bob' });
  moderator = await clientFor(t.app, randomUUID(), { username: 'mod', roles: ['moderator'] });
  roomId = track(
    await alice.post('/api/chat/rooms/', {
      name: 'Unit 4B',
      room_type: 'group',
      participant_ids: [bob.userId, moderator.userId],
    }),
  ).id;
  otherRoomId = track(
    await alice.post('/api/chat/rooms/', {
      name: 'Lobby',
      room_type: 'group',
      participant_ids: [bob.userId],
    }),
  ).id;
  const file = multipartFile('boiler.png', 'image/png', TINY_PNG);
  const upload = await t.app.inject({
    method: 'POST',
    url: `/api/chat/rooms/${roomId}/attachments/`,
    payload: file.payload,
    headers: { ...file.headers, ...(await authFor(alice.userId)) },
  });
  expect(upload.statusCode).toBe(201);

  await send(alice, roomId, 'maintenance', 'The maintenance team comes on Monday to fix the boiler');
  await send(bob, roomId, 'running', 'The heater is running again in the kitchen');
  await send(alice, roomId, 'cafe', 'Meet at the Café Noir, ask for Zoë');
  await send(bob, roomId, 'unit', 'Leak reported in unit 4B-12 near the stairs');
  await send(alice, roomId, 'photo', 'Photo of the boiler', upload.json().id);
  await send(bob, otherRoomId, 'lobby', 'The boiler in the lobby is fine');
  await send(alice, roomId, 'german', 'Die Heizung ist kaputt, bitte reparieren');
});
afterAll(async () => t?.stop());

describe('the query language', () => {
  it('finds words across the caller’s rooms, newest first', async () => {
    expect(await find(alice, 'boiler')).toEqual(['lobby', 'photo', 'maintenance']);
  });

  it('stems English words: "runs" finds "running"', async () => {
    expect(await find(alice, 'runs')).toEqual(['running']);
  });

  it('matches prefixes: "mainten" finds "maintenance", "kitch" finds "kitchen"', async () => {
    expect(await find(alice, 'mainten')).toEqual(['maintenance']);
    expect(await find(alice, 'kitch')).toEqual(['running']);
  });

  it('folds accents and case both ways', async () => {
    expect(await find(alice, 'cafe zoe')).toEqual(['cafe']);
    expect(await find(alice, 'CAFÉ')).toEqual(['cafe']);
  });

  it('finds unit numbers, stop words and words of other languages as typed', async () => {
    expect(await find(alice, '4B-12')).toEqual(['unit']);
    expect(await find(alice, '"unit 4b"')).toEqual(['unit']);
    expect(await find(alice, 'heizung kaputt')).toEqual(['german']);
    expect(await find(alice, 'die')).toEqual(['german']);
  });

  it('supports phrases, exclusions and OR', async () => {
    expect(await find(alice, '"fix the boiler"')).toEqual(['maintenance']);
    expect(await find(alice, '"boiler fix"')).toEqual([]);
    expect(await find(alice, 'boiler -lobby -photo')).toEqual(['maintenance']);
    expect(await find(alice, 'heater or leak')).toEqual(['unit', 'running']);
  });

  it('applies from:, in:, has:attachment, is:edited, before: and after:', async () => {
    expect(await find(alice, `boiler from:${bob.userId}`)).toEqual(['lobby']);
    expect(await find(alice, 'from:bob in:"unit 4b"')).toEqual(['unit', 'running']);
    expect(await find(alice, `boiler in:${otherRoomId}`)).toEqual(['lobby']);
    expect(await find(alice, 'has:attachment')).toEqual(['photo']);
    expect(await find(alice, 'before:2000-01-01 boiler')).toEqual([]);
    expect(await find(alice, 'after:2000-01-01 before:2999-01-01 kitchen')).toEqual(['running']);
    expect(await find(alice, 'after:2999-01-01 kitchen')).toEqual([]);
    expect(await find(alice, 'is:edited')).toEqual([]);
  });

  it('refuses a bad operator value and an over-long or empty query with 400', async () => {
    const bad = await search(alice, 'boiler before:soon');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_query', field: 'query.q' });
    expect((await search(alice, 'x'.repeat(257))).status).toBe(400);
    expect((await alice.get('/api/chat/search/?q=')).status).toBe(400);
    expect((await search(alice, 'boiler', '&limit=51')).status).toBe(400);
    expect((await search(alice, 'boiler', '&sort=oldest')).status).toBe(400);
  });

  it('finds nothing for a query of punctuation only, without failing', async () => {
    expect(await find(alice, '-- " ! &|')).toEqual([]);
  });
});

describe('snippets', () => {
  it('marks each match with U+E000 ... U+E001 and carries the full message', async () => {
    const answer = await search(alice, 'mainten');
    const [hit] = answer.body.results;
    expect(hit.snippet).toContain(`${HIGHLIGHT_START}maintenance${HIGHLIGHT_END}`);
    expect(hit.message).toMatchObject({ id: ids.maintenance, room: roomId, sender: { username: 'alice' } });
    expect(hit.rank).toBeGreaterThan(0);
  });

  it('never shows a marker the sender typed', async () => {
    await send(alice, roomId, 'forged', `forged ${HIGHLIGHT_START}fake${HIGHLIGHT_END} highlight`);
    const [hit] = (await search(alice, 'forged')).body.results;
    expect(hit.snippet).toBe(`${HIGHLIGHT_START}forged${HIGHLIGHT_END} fake highlight`);
  });
});

describe('paging and sorting', () => {
  it('pages newest first with a cursor, every match once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = await search(alice, 'the', `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      expect(answer.body.results.length).toBeLessThanOrEqual(2);
      seen.push(...answer.body.results.map((hit: { message: { id: string } }) => keyOf(hit.message.id)));
      cursor = answer.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['lobby', 'photo', 'unit', 'cafe', 'running', 'maintenance']);
  });

  it('sorts by relevance and pages that order too', async () => {
    await send(bob, roomId, 'plumber', 'plumber plumber plumber, the plumber is here');
    await send(bob, roomId, 'plumber-once', 'a plumber and an electrician and a painter and a roofer came');
    const all = await find(alice, 'plumber', '&sort=relevance');
    expect(all).toEqual(['plumber', 'plumber-once']);
    const first = await search(alice, 'plumber', '&sort=relevance&limit=1');
    expect(first.body.results[0].rank).toBeGreaterThan(0);
    const second = await search(alice, 'plumber', `&sort=relevance&limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.results.map((hit: { message: { id: string } }) => keyOf(hit.message.id))).toEqual([
      'plumber-once',
    ]);
    expect(second.body.next_cursor).toBeNull();
  });
});

describe('one room', () => {
  it('searches only that room', async () => {
    expect(await find(alice, 'boiler', '', roomId)).toEqual(['photo', 'maintenance']);
    expect(await find(alice, 'boiler', '', otherRoomId)).toEqual(['lobby']);
  });

  it('is 404 for a room the caller was never in, and keeps before/after for listing', async () => {
    const stranger = await clientFor(t.app, randomUUID());
    expect((await search(stranger, 'boiler', '', roomId)).status).toBe(404);
    expect((await search(alice, 'boiler', '&before=10', roomId)).status).toBe(400);
    expect((await alice.get(`/api/chat/rooms/${roomId}/messages/?cursor=abc`)).status).toBe(400);
  });
});

describe('only the current version is indexed', () => {
  it('an edit replaces the text: the old words are gone, the new ones found, is:edited holds', async () => {
    track(await bob.patch(`/api/chat/messages/${ids.unit}/`, { content: 'Water dripping in unit 7C' }), 200);
    expect(await find(alice, 'leak')).toEqual([]);
    expect(await find(alice, 'dripping')).toEqual(['unit']);
    expect(await find(alice, 'is:edited')).toEqual(['unit']);
  });

  it('a delete removes it for everyone', async () => {
    track(await alice.delete(`/api/chat/messages/${ids.cafe}/`), 200);
    expect(await find(alice, 'cafe')).toEqual([]);
    expect(await find(bob, 'zoe')).toEqual([]);
  });

  it('a hide removes it, also for the moderator; a restore brings the text back', async () => {
    track(await moderator.post(`/api/chat/moderation/messages/${ids.german}/hide/`, { reason: 'spam' }), 200);
    expect(await find(alice, 'heizung')).toEqual([]);
    expect(await find(moderator, 'heizung')).toEqual([]);
    track(await moderator.post(`/api/chat/moderation/messages/${ids.german}/restore/`), 200);
    expect(await find(alice, 'heizung')).toEqual(['german']);
  });
});
