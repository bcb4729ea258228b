// The moderation policy over REST: moderators add, change, list and remove rules; nobody else sees them;
// a rule that cannot be matched in linear time or at all is refused; a change made on one node reaches
// another node of the same database within a second (polled here, generously).
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startSecondApp, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let second: Awaited<ReturnType<typeof startSecondApp>>;
let moderator: UserClient;
let moderatorOnSecondNode: UserClient;
let alice: UserClient;

beforeAll(async () => {
  t = await startTestApp('moderation_rules');
  second = await startSecondApp(t);
  const moderatorId = uuidv4();
  moderator = await clientFor(t.app, moderatorId, { roles: ['moderator'] });
  moderatorOnSecondNode = await clientFor(second.app, moderatorId, { roles: ['moderator'] });
  alice = await clientFor(t.app, uuidv4());
});
afterAll(async () => {
  await second?.stop();
  await t?.stop();
});

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

it('lets moderators add, change, list and remove rules', async () => {
  const added = await moderator.post('/api/moderation/rules/', {
    name: 'Profanity',
    action: 'flag',
    match: { kind: 'words', words: ['Darn', 'heck*'] },
  });
  expect(added.status).toBe(201);
  expect(added.body).toMatchObject({
    name: 'Profanity',
    action: 'flag',
    room_types: null,
    match: { kind: 'words', words: ['darn', 'heck*'] },
  });
  const id = added.body.id;

  const changed = await moderator.patch(`/api/moderation/rules/${id}/`, {
    action: 'bounce',
    room_types: ['group', 'task'],
  });
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ id, action: 'bounce', room_types: ['group', 'task'] });

  const listed = await moderator.get('/api/moderation/rules/');
  expect(listed.status).toBe(200);
  expect(listed.body.rules).toEqual([
    { id, name: 'Profanity', action: 'bounce', room_types: ['group', 'task'], match: added.body.match },
  ]);
  expect(listed.body.revision).toBe('1');

  expect((await moderator.delete(`/api/moderation/rules/${id}/`)).status).toBe(200);
  expect((await moderator.get(`/api/moderation/rules/${id}/`)).status).toBe(404);
  expect((await moderator.get('/api/moderation/rules/')).body.rules).toEqual([]);
});

it('does not exist for anyone but moderators (404, as /api/ops and /api/audit), malformed requests too', async () => {
  const rule = { name: 'x', action: 'flag', match: { kind: 'words', words: ['x'] } };
  const added = await moderator.post('/api/moderation/rules/', rule);
  expect(added.status).toBe(201);
  const id = added.body.id;
  const reportId = uuidv4();
  const messageId = uuidv4();
  const attempts = [
    () => alice.get('/api/moderation/rules/'),
    () => alice.get(`/api/moderation/rules/${id}/`),
    () => alice.post('/api/moderation/rules/', rule),
    () => alice.post('/api/moderation/rules/', { name: 'x', unknown: true }),
    () => alice.patch(`/api/moderation/rules/${id}/`, { name: 'y' }),
    () => alice.delete(`/api/moderation/rules/${id}/`),
    () => alice.get('/api/moderation/rules/not-a-uuid/'),
    () => alice.get('/api/chat/moderation/reports/'),
    () => alice.get('/api/chat/moderation/reports/?status=nonsense'),
    () => alice.get(`/api/chat/moderation/reports/${reportId}/`),
    () => alice.get('/api/chat/moderation/bounces/'),
    () => alice.post(`/api/chat/moderation/messages/${messageId}/hide/`, { reason: 'x' }),
    () => alice.post(`/api/chat/moderation/messages/${messageId}/hide/`, {}),
    () => alice.post(`/api/chat/moderation/messages/${messageId}/restore/`),
    () => alice.post(`/api/chat/moderation/reports/${reportId}/dismiss/`),
  ];
  for (const attempt of attempts) {
    expect(await attempt()).toMatchObject({ status: 404, body: { code: 'not_found' } });
  }
  // the rule is untouched
  expect((await moderator.get(`/api/moderation/rules/${id}/`)).body).toMatchObject({ name: 'x' });
  expect((await moderator.delete(`/api/moderation/rules/${id}/`)).status).toBe(200);
});

it('refuses rules that cannot be matched, in linear time or at all', async () => {
  const refused = async (match: unknown, status: number) => {
    const answer = await moderator.post('/api/moderation/rules/', { name: 'bad', action: 'flag', match });
    expect(answer.status, JSON.stringify(match)).toBe(status);
    expect(answer.headers['content-type']).toContain('application/problem+json');
  };
  await refused({ kind: 'regex', pattern: '(\\w+)\\1' }, 422); // a backreference: no RE2
  await refused({ kind: 'regex', pattern: '(?=lookahead)' }, 422);
  await refused({ kind: 'regex', pattern: 'a'.repeat(501) }, 400);
  await refused({ kind: 'words', words: ['two words'] }, 422);
  await refused({ kind: 'link_domains', mode: 'allow', domains: ['http://x'] }, 422);
  await refused({ kind: 'shell', command: 'rm' }, 400);
  expect((await moderator.get('/api/moderation/rules/')).body.rules).toEqual([]);
});

it('reaches a second node of the same database within a second', async () => {
  const added = await moderator.post('/api/moderation/rules/', {
    name: 'Links',
    action: 'block',
    room_types: ['property'],
    match: { kind: 'link_domains', mode: 'block', domains: ['evil.example'] },
  });
  expect(added.status).toBe(201);
  const seen = await until(
    () => moderatorOnSecondNode.get('/api/moderation/rules/'),
    (answer) => answer.body.rules.some((rule: { id: string }) => rule.id === added.body.id),
  );
  expect(seen.body.rules.map((rule: { id: string }) => rule.id)).toContain(added.body.id);

  const removed = await moderatorOnSecondNode.delete(`/api/moderation/rules/${added.body.id}/`);
  expect(removed.status).toBe(200);
  const gone = await until(
    () => moderator.get('/api/moderation/rules/'),
    (answer) => answer.body.rules.length === 0,
  );
  expect(gone.body.rules).toEqual([]);
});
