// Escalation: a user who breaks `bounce` or `block` rules three times within the window is muted in that
// room by the moderation policy (until a time, so the timed-unmute job ends it); two violations are not
// enough, a flag is no violation, and another user in the room is not touched.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { roomStream } from '../../src/domain/streams.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let bob: UserClient;
let room: string;

beforeAll(async () => {
  t = await startTestApp('moderation_escalation', {
    MODERATION_ESCALATION_VIOLATIONS: '3',
    MODERATION_ESCALATION_WINDOW_SECONDS: '60',
    MODERATION_ESCALATION_MUTE_MINUTES: '15',
  });
  const moderator = await clientFor(t.app, uuidv4(), { roles: ['moderator'] });
  alice = await clientFor(t.app, uuidv4());
  bob = await clientFor(t.app, uuidv4());
  room = (
    await alice.post('/api/chat/rooms/', { name: 'r', room_type: 'group', participant_ids: [bob.userId] })
  ).body.id;
  for (const [name, action, words] of [
    ['threats', 'bounce', ['kaboom']],
    ['slurs', 'block', ['zonk']],
    ['swearing', 'flag', ['darn']],
  ] as const) {
    const rule = { name, action, match: { kind: 'words', words } };
    expect((await moderator.post('/api/moderation/rules/', rule)).status).toBe(201);
  }
});
afterAll(async () => t?.stop());

const send = (client: UserClient, content: string) =>
  client.post(`/api/chat/rooms/${room}/messages/`, { content, client_id: uuidv4() });

const mutes = async () =>
  (await t.app.eventStore.readStream(roomStream(room))).filter((event) => event.type === 'ParticipantMuted');

it('mutes a user in the room after three violations, by the moderation policy, for the set time', async () => {
  expect((await send(alice, 'kaboom')).status).toBe(422);
  expect((await send(alice, 'zonk')).status).toBe(201); // stored hidden: a violation too
  expect((await send(alice, 'darn')).status).toBe(201); // a flag is not one
  expect((await send(bob, 'kaboom')).status).toBe(422); // someone else's
  expect(await mutes()).toEqual([]);
  expect((await send(alice, 'all good')).status).toBe(201);

  const before = Date.now();
  const third = await send(alice, 'kaboom again');
  expect(third.body).toMatchObject({ status: 422, code: 'message_bounced' });
  const [muted, ...more] = await mutes();
  expect(more).toEqual([]);
  expect(muted!.metadata.actorId).toBe('system:moderation');
  expect(muted!.data).toMatchObject({ userId: alice.userId, mutedBy: 'system:moderation' });
  const until = Date.parse((muted!.data as { until: string }).until);
  expect(until - before).toBeGreaterThan(14 * 60_000);
  expect(until - before).toBeLessThan(16 * 60_000);

  const refused = await send(alice, 'hello?');
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe('participant_muted');
  expect((await send(bob, 'bob is fine')).status).toBe(201);
});
