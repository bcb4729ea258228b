// The moderation policy applied to every write (REST and socket sends, edits): each rule kind with each
// outcome. flag: stored, visible, and on the moderators' report queue; block: stored hidden from the
// start (no one sees its text, live or in history) and on the queue; bounce: refused with
// message_bounced and the rule, nothing stored for the room, recorded for moderators and auditors. A
// rule added on one node applies to sends through a second node of the same database. Moderators read
// a report's message as it was when reported.
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bounceId } from '../../src/domain/moderationOutcomes.ts';
import { bounceStream, messageIdForClientId } from '../../src/domain/streams.ts';
import { openSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startSecondApp, startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let second: Awaited<ReturnType<typeof startSecondApp>>;
let moderator: UserClient;
let alice: UserClient;
let aliceOnSecondNode: UserClient;
let bob: UserClient;
let room: string;
let wsBase: string;

beforeAll(async () => {
  // escalation has a test of its own (moderationEscalation.api.test.ts): here violations mute no one
  t = await startTestApp('moderation_outcomes', { MODERATION_ESCALATION_VIOLATIONS: '0' });
  second = await startSecondApp(t);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  wsBase = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  moderator = await clientFor(t.app, uuidv4(), { roles: ['moderator'] });
  const aliceId = uuidv4();
  alice = await clientFor(t.app, aliceId, { username: 'alice' });
  aliceOnSecondNode = await clientFor(second.app, aliceId, { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  room = (
    await alice.post('/api/chat/rooms/', { name: 'lobby', room_type: 'group', participant_ids: [bob.userId] })
  ).body.id;
  for (const [name, action, match] of [
    ['swearing', 'flag', { kind: 'words', words: ['darn', 'heck*'] }],
    ['card numbers', 'block', { kind: 'regex', pattern: '\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b' }],
    ['phishing', 'bounce', { kind: 'link_domains', mode: 'block', domains: ['evil.example'] }],
    ['threats', 'bounce', { kind: 'words', words: ['kaboom'] }],
  ] as const) {
    expect((await moderator.post('/api/moderation/rules/', { name, action, match })).status).toBe(201);
  }
});
afterAll(async () => {
  await second?.stop();
  await t?.stop();
});

const send = (client: UserClient, content: string, clientId = uuidv4()) =>
  client.post(`/api/chat/rooms/${room}/messages/`, { content, client_id: clientId });

async function history(client: UserClient) {
  const answer = await client.get(`/api/chat/rooms/${room}/messages/?limit=100&wait_for=${await head()}`);
  expect(answer.status).toBe(200);
  return answer.body.results as { id: string; content: string; is_hidden: boolean }[];
}
/** the store's head, so that a read waits for the projector to have everything written so far */
async function head() {
  return (await alice.post(`/api/chat/rooms/${room}/mark-read/`)).body.position as string;
}

describe('a send', () => {
  it('that a flag rule matches is stored, visible, and on the report queue by the policy', async () => {
    const sent = await send(alice, 'Oh heckin darn it, the boiler again');
    expect(sent.status).toBe(201);
    expect(sent.body.content).toBe('Oh heckin darn it, the boiler again');
    expect((await history(bob)).find((m) => m.id === sent.body.id)?.content).toBe(
      'Oh heckin darn it, the boiler again',
    );
    const reports = await moderator.get(`/api/chat/moderation/reports/?wait_for=${await head()}`);
    expect(reports.body).toContainEqual(
      expect.objectContaining({
        message: sent.body.id,
        reporter: 'system:moderation',
        reason: 'flagged by the moderation rule "swearing"',
        status: 'open',
      }),
    );
    // the moderator, in no room, reads the text as it was when flagged, also after an edit
    const report = reports.body.find((r: { message: string }) => r.message === sent.body.id);
    expect((await alice.patch(`/api/chat/messages/${sent.body.id}/`, { content: 'the boiler' })).status).toBe(
      200,
    );
    const view = await moderator.get(`/api/chat/moderation/reports/${report.id}/`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      reporter: 'system:moderation',
      resolution: null,
      message: {
        id: sent.body.id,
        sender: alice.userId,
        content: 'Oh heckin darn it, the boiler again',
        edits: 0,
      },
    });
    expect((await bob.get(`/api/chat/moderation/reports/${report.id}/`)).status).toBe(404);
    expect((await moderator.get(`/api/chat/moderation/reports/${uuidv4()}/`)).status).toBe(404);
  });

  it('that a block rule matches is stored hidden: no one sees its text, in history or live', async () => {
    const socket = openSocket(`${wsBase}/ws/chat/${room}/?token=${await mintToken(bob.userId)}`);
    try {
      await socket.next('connection_established');
      const sent = await send(alice, 'my card is 1234-5678-9012-3456 thanks');
      expect(sent.status).toBe(201);
      expect(sent.body).toMatchObject({ is_hidden: true, content: '' });
      const frame = await socket.next(
        (f) => f.type === 'chat_message' && (f.message as { id: string }).id === sent.body.id,
      );
      expect(frame.message).toMatchObject({ is_hidden: true, content: '' });
      expect(JSON.stringify(socket.frames)).not.toContain('1234-5678');
      const row = (await history(bob)).find((m) => m.id === sent.body.id);
      expect(row).toMatchObject({ is_hidden: true, content: '' });
      // the search index never had it (once it has projected the send)
      const found = await bob.get(
        `/api/chat/search/?q=${encodeURIComponent('card')}&wait_for=${sent.body.position}`,
      );
      expect(JSON.stringify(found.body)).not.toContain(sent.body.id);
      // the moderators have it on their queue, with its text, to restore it if it is harmless
      const reports = await moderator.get(`/api/chat/moderation/reports/?wait_for=${await head()}`);
      const report = reports.body.find((r: { message: string }) => r.message === sent.body.id);
      expect(report).toMatchObject({ reason: 'blocked by the moderation rule "card numbers"' });
      const view = await moderator.get(`/api/chat/moderation/reports/${report.id}/`);
      expect(view.body.message).toMatchObject({
        content: 'my card is 1234-5678-9012-3456 thanks',
        hidden: true,
      });
    } finally {
      socket.close();
    }
  });

  it.each([
    ['a link to a blocked domain', 'see https://login.evil.example/reset now', 'phishing'],
    ['a bounced word', 'KABOOM at noon', 'threats'],
  ])(
    'with %s is refused with message_bounced and the rule, and stored for no one',
    async (_case, text, rule) => {
      const clientId = uuidv4();
      const refused = await send(alice, text, clientId);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'message_bounced', rule: { name: rule } });
      expect(JSON.stringify(await history(bob))).not.toContain(text);
      // recorded for the moderators and auditors, once, however often it is retried
      expect((await send(alice, text, clientId)).status).toBe(422);
      const messageId = messageIdForClientId(alice.userId, clientId);
      const recorded = await t.app.eventStore.readStream(bounceStream(bounceId(messageId, text)));
      expect(recorded.map((event) => [event.type, event.data])).toEqual([
        [
          'MessageBounced',
          expect.objectContaining({
            messageId,
            roomId: room,
            senderId: alice.userId,
            content: text,
            edit: false,
          }),
        ],
      ]);
      expect((await alice.get(`/api/chat/messages/${messageId}/`)).status).toBe(404);
    },
  );

  it('that no rule matches goes through as it is (an allowed link, words inside other words)', async () => {
    const sent = await send(alice, 'kabooming is not a word; see https://example.com/evil.examples');
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ is_hidden: false });
  });

  it('over the room socket is refused with an error frame naming the rule and its client_id', async () => {
    const socket = openSocket(`${wsBase}/ws/chat/${room}/?token=${await mintToken(alice.userId)}`);
    const watcher = openSocket(`${wsBase}/ws/chat/${room}/?token=${await mintToken(bob.userId)}`);
    try {
      await socket.next('connection_established');
      await watcher.next('connection_established');
      socket.send({ type: 'chat_message', message: 'kaboom', client_id: 'c-1' });
      const error = await socket.next('error');
      expect(error).toMatchObject({ code: 'message_bounced', client_id: 'c-1', rule: { name: 'threats' } });
      socket.send({ type: 'chat_message', message: 'all fine', client_id: 'c-2' });
      await watcher.next(
        (f) => f.type === 'chat_message' && (f.message as { content: string }).content === 'all fine',
      );
      // (a message of an earlier test may still arrive live: only the bounced text itself must not)
      expect(JSON.stringify(watcher.frames)).not.toContain('"content":"kaboom"');
    } finally {
      socket.close();
      watcher.close();
    }
  });

  it('over both sockets: a flag is acked and shown, a block acked and shown hidden, a bounce refused', async () => {
    const token = await mintToken(alice.userId);
    const roomSocket = openSocket(`${wsBase}/ws/chat/${room}/?token=${token}`);
    const userSocket = openSocket(`${wsBase}/ws/chat/`, { protocols: ['bearer', token] });
    const watcher = openSocket(`${wsBase}/ws/chat/${room}/?token=${await mintToken(bob.userId)}`);
    try {
      await roomSocket.next('connection_established');
      await userSocket.next('connection_established');
      await watcher.next('connection_established');
      userSocket.send({ type: 'subscribe', room_id: room });
      await userSocket.next('subscribed');
      const answerTo = (socket: typeof roomSocket, clientId: string) =>
        socket.next((f) => (f.type === 'message_ack' || f.type === 'error') && f.client_id === clientId);
      const seenByBob = async (messageId: unknown) =>
        (
          await watcher.next(
            (f) => f.type === 'chat_message' && (f.message as { id: string }).id === messageId,
          )
        ).message as { content: string; is_hidden: boolean };
      const sends = [
        [
          roomSocket,
          'r-flag',
          'darn, the room socket',
          { content: 'darn, the room socket', is_hidden: false },
        ],
        [
          userSocket,
          'u-flag',
          'heck, the user socket',
          { content: 'heck, the user socket', is_hidden: false },
        ],
        [roomSocket, 'r-block', 'card 1111-2222-3333-4444 by room', { content: '', is_hidden: true }],
        [userSocket, 'u-block', 'card 5555-6666-7777-8888 by user', { content: '', is_hidden: true }],
      ] as const;
      const ids: Record<string, unknown> = {};
      for (const [socket, clientId, text, shown] of sends) {
        const frame = { type: 'chat_message', message: text, client_id: clientId };
        socket.send(socket === userSocket ? { ...frame, room_id: room } : frame);
        const ack = await answerTo(socket, clientId);
        expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'message_ack', created: true });
        ids[clientId] = ack.message_id;
        expect(await seenByBob(ack.message_id)).toMatchObject(shown);
      }
      userSocket.send({
        type: 'chat_message',
        room_id: room,
        message: 'kaboom by user',
        client_id: 'u-bounce',
      });
      expect(await answerTo(userSocket, 'u-bounce')).toMatchObject({
        type: 'error',
        code: 'message_bounced',
        rule: { name: 'threats' },
      });
      for (const socket of [watcher, roomSocket, userSocket]) {
        expect(JSON.stringify(socket.frames)).not.toMatch(/3333-4444|7777-8888|"content":"kaboom by user"/);
      }
      // every flag and block is on the moderators' queue, by the policy
      const reports = await moderator.get(`/api/chat/moderation/reports/?wait_for=${await head()}`);
      const reasons = Object.fromEntries(
        reports.body.map((r: { message: string; reason: string }) => [r.message, r.reason]),
      );
      expect(reasons[ids['r-flag'] as string]).toBe('flagged by the moderation rule "swearing"');
      expect(reasons[ids['u-flag'] as string]).toBe('flagged by the moderation rule "swearing"');
      expect(reasons[ids['r-block'] as string]).toBe('blocked by the moderation rule "card numbers"');
      expect(reasons[ids['u-block'] as string]).toBe('blocked by the moderation rule "card numbers"');
      expect(JSON.stringify(await history(bob))).not.toContain('kaboom by user');
    } finally {
      roomSocket.close();
      userSocket.close();
      watcher.close();
    }
  });

  it('through a second node follows a rule added on the first within a second or so', async () => {
    const added = await moderator.post('/api/moderation/rules/', {
      name: 'codeword',
      action: 'bounce',
      match: { kind: 'words', words: ['zanzibar'] },
    });
    expect(added.status).toBe(201);
    let status = 0;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
      const answer = await aliceOnSecondNode.post(`/api/chat/rooms/${room}/messages/`, {
        content: 'zanzibar',
        client_id: uuidv4(),
      });
      status = answer.status;
      if (status === 422) break;
    }
    expect(status).toBe(422);
  });
});

describe('an edit', () => {
  it('to bounced or blocked text is refused and the message keeps its text; flagged text goes through', async () => {
    const sent = await send(alice, 'the heating is fixed');
    for (const [text, rule] of [
      ['the heating is kaboom', 'threats'],
      ['card 1111-2222-3333-4444', 'card numbers'],
    ] as const) {
      const refused = await alice.patch(`/api/chat/messages/${sent.body.id}/`, { content: text });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'message_bounced', rule: { name: rule } });
    }
    expect((await history(bob)).find((m) => m.id === sent.body.id)?.content).toBe('the heating is fixed');
    const flagged = await alice.patch(`/api/chat/messages/${sent.body.id}/`, { content: 'darn heating' });
    expect(flagged.status).toBe(200);
    const reports = await moderator.get(`/api/chat/moderation/reports/?wait_for=${await head()}`);
    expect(reports.body).toContainEqual(
      expect.objectContaining({ message: sent.body.id, reporter: 'system:moderation' }),
    );
  });
});
