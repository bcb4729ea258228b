// The moderators' list of bounced writes (GET /api/chat/moderation/bounces/): what the policy refused,
// newest first, with its text, rule, sender, room and time; paged, filtered by room and sender; for anyone
// but a moderator the list does not exist (404).
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
// a moderator, two users in two rooms
let moderator: UserClient, alice: UserClient, bob: UserClient;
let lobby: string, kitchen: string;

beforeAll(async () => {
  t = await startTestApp('moderation_bounces', { MODERATION_ESCALATION_VIOLATIONS: '0' });
  moderator = await clientFor(t.app, uuidv4(), { roles: ['moderator'] });
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  const room = async (name: string) =>
    (await alice.post('/api/chat/rooms/', { name, room_type: 'group', participant_ids: [bob.userId] })).body
      .id as string;
  lobby = await room('lobby');
  kitchen = await room('kitchen');
  for (const [name, match] of [
    ['threats', { kind: 'words', words: ['kaboom'] }],
    ['phishing', { kind: 'link_domains', mode: 'block', domains: ['evil.example'] }],
  ] as const) {
    const rule = await moderator.post('/api/moderation/rules/', { name, action: 'bounce', match });
    expect(rule.status).toBe(201);
  }
});
afterAll(async () => t?.stop());

async function bounce(client: UserClient, room: string, content: string) {
  const refused = await client.post(`/api/chat/rooms/${room}/messages/`, { content, client_id: uuidv4() });
  expect(refused.status).toBe(422);
  expect(refused.body.code).toBe('message_bounced');
}
/** the store's head, so that a read waits for the projector to have everything written so far */
async function head() {
  return (await alice.post(`/api/chat/rooms/${lobby}/mark-read/`)).body.position as string;
}
async function list(query = '') {
  const answer = await moderator.get(`/api/chat/moderation/bounces/?wait_for=${await head()}${query}`);
  expect(answer.status).toBe(200);
  return answer.body as {
    results: { id: string; content: string; sender: string; room: string; rule: { name: string } }[];
    next_cursor: string | null;
  };
}

it('lists two bounced sends newest first with their text, rule, sender, room and time', async () => {
  await bounce(alice, lobby, 'KABOOM at noon');
  await bounce(bob, kitchen, 'free money at https://evil.example/win');
  const page = await list();
  expect(page.next_cursor).toBeNull();
  expect(page.results).toEqual([
    {
      id: expect.any(String),
      message: expect.any(String),
      room: kitchen,
      sender: bob.userId,
      edit: false,
      content: 'free money at https://evil.example/win',
      rule: { id: expect.any(String), name: 'phishing' },
      bounced_at: expect.any(String),
    },
    {
      id: expect.any(String),
      message: expect.any(String),
      room: lobby,
      sender: alice.userId,
      edit: false,
      content: 'KABOOM at noon',
      rule: { id: expect.any(String), name: 'threats' },
      bounced_at: expect.any(String),
    },
  ]);
  const [newer, older] = page.results as unknown as { bounced_at: string }[];
  expect(Date.parse(newer!.bounced_at)).toBeGreaterThanOrEqual(Date.parse(older!.bounced_at));
  // nothing of it reached the rooms
  const history = await bob.get(`/api/chat/rooms/${kitchen}/messages/?wait_for=${await head()}`);
  expect(history.body.results).toEqual([]);
});

it('pages with a cursor and filters by room and sender', async () => {
  await bounce(alice, lobby, 'kaboom twice');
  await bounce(alice, kitchen, 'kaboom thrice');
  const all = (await list()).results.map((b) => b.content);
  expect(all).toEqual([
    'kaboom thrice',
    'kaboom twice',
    'free money at https://evil.example/win',
    'KABOOM at noon',
  ]);

  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await list(`&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    pages.push(page.results.map((b) => b.content));
    cursor = page.next_cursor;
  } while (cursor && pages.length < 5);
  expect(pages).toEqual([all.slice(0, 3), all.slice(3)]);

  expect((await list(`&room_id=${lobby}`)).results.map((b) => b.content)).toEqual([
    'kaboom twice',
    'KABOOM at noon',
  ]);
  expect((await list(`&user_id=${bob.userId}`)).results.map((b) => b.content)).toEqual([
    'free money at https://evil.example/win',
  ]);
  expect((await list(`&room_id=${kitchen}&user_id=${alice.userId}`)).results.map((b) => b.content)).toEqual([
    'kaboom thrice',
  ]);
  const bad = await moderator.get('/api/chat/moderation/bounces/?cursor=yesterday');
  expect(bad.status).toBe(400);
});

it('lists a bounced edit as one, for the message it would have changed', async () => {
  const dave = await clientFor(t.app, uuidv4(), { username: 'dave' });
  await alice.post(`/api/chat/rooms/${kitchen}/participants/`, { user_id: dave.userId });
  const sent = await dave.post(`/api/chat/rooms/${kitchen}/messages/`, { content: 'the oven is fixed' });
  expect(sent.status).toBe(201);
  const refused = await dave.patch(`/api/chat/messages/${sent.body.id}/`, { content: 'the oven is kaboom' });
  expect(refused.status).toBe(422);
  expect((await list(`&user_id=${dave.userId}`)).results).toEqual([
    expect.objectContaining({
      message: sent.body.id,
      room: kitchen,
      edit: true,
      content: 'the oven is kaboom',
      rule: expect.objectContaining({ name: 'threats' }),
    }),
  ]);
});

it('does not exist for anyone but moderators', async () => {
  for (const client of [alice, bob, await clientFor(t.app, uuidv4(), { roles: ['ops', 'auditor'] })]) {
    const answer = await client.get('/api/chat/moderation/bounces/');
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('not_found');
  }
});

it('reads a bounced text as null once its sender is erased (the text is only in the event store)', async () => {
  const carol = await clientFor(t.app, uuidv4(), { username: 'carol' });
  await alice.post(`/api/chat/rooms/${lobby}/participants/`, { user_id: carol.userId });
  await bounce(carol, lobby, 'kaboom from carol');
  expect((await list(`&user_id=${carol.userId}`)).results.map((b) => b.content)).toEqual([
    'kaboom from carol',
  ]);
  const privacyOfficer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
  const erased = await privacyOfficer.post('/api/privacy/erasures/', { user_id: carol.userId });
  expect(erased.status).toBe(201);
  const after = await list(`&user_id=${carol.userId}`);
  expect(after.results).toHaveLength(1);
  expect(after.results[0]!.content).toBeNull();
  expect(after.results[0]!.rule.name).toBe('threats');
});
