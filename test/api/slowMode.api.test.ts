// Slow mode: in a room with slow_mode_seconds a participant sends one message per that many seconds, over
// REST, the room socket and the user socket alike (one slot per participant and room, whichever way they
// send); a send within it is 429 `slow_mode` with Retry-After (REST) or an `error` frame `slow_mode` with
// retry_after_ms (socket), the socket stays open, and nothing is stored. Room admins and moderators are
// exempt, on every path; a send refused for another reason takes no slot.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, type TestSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const SLOW_MODE_SECONDS = 3;
let t: TestApp;
let wsBase: string;
let roomId: string;
let admin: UserClient;
let moderator: UserClient;
const users: Record<'bob' | 'carol' | 'dave' | 'erin', UserClient> = {} as never;
const sockets: TestSocket[] = [];

const send = (user: UserClient, content: string, extra: object = {}) =>
  user.post(`/api/chat/rooms/${roomId}/messages/`, { content, ...extra });

async function socketFor(userId: string, path: string, roles: string[] = []): Promise<TestSocket> {
  const token = await mintToken(userId, { claims: { roles } });
  const socket = openSocket(`${wsBase}${path}`, { protocols: ['bearer', token] });
  sockets.push(socket);
  await socket.next('connection_established');
  return socket;
}

const answerTo = (socket: TestSocket, clientId: string) =>
  socket.next(
    (frame) => (frame.type === 'message_ack' || frame.type === 'error') && frame.client_id === clientId,
  );

/** What the room holds once the read models include `position` (a write's), or the latest there is. */
async function storedContents(position: string): Promise<string[]> {
  const page = await admin.get(`/api/chat/rooms/${roomId}/messages/?limit=200&wait_for=${position}`);
  return page.body.results.map((message: { content: string }) => message.content);
}

beforeAll(async () => {
  t = await startTestApp('slow_mode');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  wsBase = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  admin = await clientFor(t.app, randomUUID());
  moderator = await clientFor(t.app, randomUUID(), { roles: ['moderator'] });
  for (const name of ['bob', 'carol', 'dave', 'erin'] as const)
    users[name] = await clientFor(t.app, randomUUID());
  const created = await admin.post('/api/chat/rooms/', {
    name: 'slow',
    room_type: 'group',
    participant_ids: [moderator.userId, ...Object.values(users).map((user) => user.userId)],
    settings: { slow_mode_seconds: SLOW_MODE_SECONDS },
  });
  expect(created.status).toBe(201);
  roomId = created.body.id;
  // projected: the sockets may join
  expect((await admin.get(`/api/chat/rooms/${roomId}/?wait_for=${created.body.position}`)).status).toBe(200);
});
afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  await t?.stop();
});

describe('slow mode', () => {
  it('REST: a second message within the slow mode is 429 slow_mode and not stored; later it goes', async () => {
    const { bob, carol } = users;
    expect((await send(bob, 'bob first')).status).toBe(201);
    const refused = await send(bob, 'bob too soon');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('slow_mode');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(SLOW_MODE_SECONDS);
    // someone else's slot is their own
    expect((await send(carol, 'carol first')).status).toBe(201);

    await sleep(retryAfter * 1000);
    let later = await send(bob, 'bob later');
    // the slot's end is Redis's clock, Retry-After is rounded up: poll a little past it at most
    for (let attempt = 0; later.status === 429 && attempt < 20; attempt++) {
      await sleep(100);
      later = await send(bob, 'bob later');
    }
    expect(later.status).toBe(201);
    const contents = await storedContents(later.body.position);
    expect(contents).toContain('bob first');
    expect(contents).toContain('bob later');
    expect(contents).not.toContain('bob too soon');
  });

  it('room admins and moderators are exempt', async () => {
    for (const user of [admin, moderator]) {
      for (let i = 0; i < 3; i++) expect((await send(user, `exempt ${user.userId} ${i}`)).status).toBe(201);
    }
  });

  it('the room socket: an error frame slow_mode with retry_after_ms, the socket stays open', async () => {
    const { dave } = users;
    const socket = await socketFor(dave.userId, `/ws/chat/${roomId}/`);
    socket.send({ type: 'chat_message', message: 'dave first', client_id: 'd-1' });
    expect((await answerTo(socket, 'd-1')).type).toBe('message_ack');
    socket.send({ type: 'chat_message', message: 'dave too soon', client_id: 'd-2' });
    const refused = await answerTo(socket, 'd-2');
    expect(refused).toMatchObject({ type: 'error', code: 'slow_mode' });
    expect(refused.retry_after_ms).toBeGreaterThan(0);
    expect(refused.retry_after_ms).toBeLessThanOrEqual(SLOW_MODE_SECONDS * 1000);
    // one slot whichever way the participant sends
    expect((await send(dave, 'dave over REST')).body.code).toBe('slow_mode');
    socket.send({ type: 'ping' });
    await socket.next('pong');
    const after = await send(admin, 'after dave');
    expect(await storedContents(after.body.position)).not.toContain('dave too soon');
  });

  it('the user socket likewise, and a send refused for another reason takes no slot', async () => {
    const { erin } = users;
    const refusedOtherwise = await send(erin, 'a reply to nothing', { reply_to: randomUUID() });
    expect(refusedOtherwise.body.code).toBe('invalid_reply_to');
    const socket = await socketFor(erin.userId, '/ws/chat/');
    socket.send({ type: 'subscribe', room_id: roomId });
    await socket.next('subscribed');
    socket.send({ type: 'chat_message', room_id: roomId, message: 'erin first', client_id: 'e-1' });
    expect((await answerTo(socket, 'e-1')).type).toBe('message_ack');
    socket.send({ type: 'chat_message', room_id: roomId, message: 'erin too soon', client_id: 'e-2' });
    const refused = await answerTo(socket, 'e-2');
    expect(refused).toMatchObject({ type: 'error', code: 'slow_mode', client_id: 'e-2' });
    expect(refused.retry_after_ms).toBeGreaterThan(0);
    expect(refused.retry_after_ms).toBeLessThanOrEqual(SLOW_MODE_SECONDS * 1000);
    // the slot is the one REST and the room socket use, and the socket stays open
    expect((await send(erin, 'erin over REST')).body.code).toBe('slow_mode');
    socket.send({ type: 'ping' });
    await socket.next('pong');
    const after = await send(admin, 'after erin');
    const contents = await storedContents(after.body.position);
    expect(contents).toContain('erin first');
    expect(contents).not.toContain('erin too soon');
    expect(contents).not.toContain('erin over REST');
  });

  it('the user socket: room admins and moderators are exempt there too', async () => {
    for (const [user, roles] of [
      [admin, []],
      [moderator, ['moderator']],
    ] as const) {
      const socket = await socketFor(user.userId, '/ws/chat/', [...roles]);
      socket.send({ type: 'subscribe', room_id: roomId });
      await socket.next('subscribed');
      for (let i = 0; i < 3; i++) {
        const clientId = `x-${user.userId}-${i}`;
        socket.send({
          type: 'chat_message',
          room_id: roomId,
          message: `exempt socket ${i}`,
          client_id: clientId,
        });
        expect((await answerTo(socket, clientId)).type).toBe('message_ack');
      }
    }
  });

  it('a room socket’s send takes the slot a user socket then meets', async () => {
    const { carol } = users;
    // carol's REST send of the first test has had its slot's time by now
    await sleep(SLOW_MODE_SECONDS * 1000);
    const roomSocket = await socketFor(carol.userId, `/ws/chat/${roomId}/`);
    const userSocket = await socketFor(carol.userId, '/ws/chat/');
    userSocket.send({ type: 'subscribe', room_id: roomId });
    await userSocket.next('subscribed');
    roomSocket.send({ type: 'chat_message', message: 'carol on the room socket', client_id: 'c-1' });
    let first = await answerTo(roomSocket, 'c-1');
    // the slot's end is Redis's clock: a little past it at most
    for (let attempt = 0; first.type === 'error' && attempt < 20; attempt++) {
      await sleep(100);
      roomSocket.send({ type: 'chat_message', message: 'carol on the room socket', client_id: 'c-1' });
      first = await answerTo(roomSocket, 'c-1');
    }
    expect(first.type).toBe('message_ack');
    userSocket.send({ type: 'chat_message', room_id: roomId, message: 'carol too soon', client_id: 'c-2' });
    expect(await answerTo(userSocket, 'c-2')).toMatchObject({ type: 'error', code: 'slow_mode' });
  });
});
