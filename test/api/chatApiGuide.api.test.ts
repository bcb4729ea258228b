// docs/api/CHAT_API.md shows JSON recorded here: a scripted conversation against the real service (HTTP on
// a port, real WebSockets), every request, answer and frame recorded with ids, positions, times and tokens
// normalized, and compared with the guide's marked blocks. A change to the wire fails this test until the
// guide shows it: `UPDATE_CHAT_API=1 npx vitest run test/api/chatApiGuide.api.test.ts` rewrites the blocks.
// A second test keeps the guide complete: every endpoint of the app's in the OpenAPI document and every
// frame type of the contract must be named in it (it lists the missing ones).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_FRAMES, SERVER_FRAME_SCHEMAS } from '../../src/contract/frames.ts';
import { type Frame, openSocket, type TestSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import { TINY_PNG } from './support/multipart.ts';
import { checkGuide, Normalizer } from './support/recordedExchanges.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const GUIDE = fileURLToPath(new URL('../../docs/api/CHAT_API.md', import.meta.url));
const ALICE = '42';
const BOB = '43';
const CAROL = '44';

let t: TestApp;
let base: string;
/** as sent and received; normalized once the conversation is over */
const raw = new Map<string, unknown>();
const record = (name: string, value: unknown) => {
  if (raw.has(name)) throw new Error(`recorded twice: ${name}`);
  raw.set(name, value);
};

async function startService(): Promise<void> {
  t = await startTestApp('chat_api_guide');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
}
afterAll(async () => t?.stop());

/**
 * A busy machine can make an answer right but not the one the guide shows: a write that returns a resource
 * answers 202 when the projection takes over 5 s, and a limit's Retry-After counts down when over a second
 * passes between the two sends that show it. The conversation then runs again on a fresh service.
 */
class BusyMachine extends Error {}
const ATTEMPTS = 3;

const tokenFor = (userId: string, username: string) => mintToken(userId, { claims: { username } });

type Call = {
  /** host:port of another service than the guide's (the one with rate limits on) */
  at?: string;
  method?: string;
  path: string;
  token?: string;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
};
// biome-ignore lint/suspicious/noExplicitAny: the script reads answers field by field
type Answer = { status: number; body: any; headers: Headers };

/** One REST exchange; recorded under `name` when given (request, status, the headers a client uses, body). */
async function rest(call: Call, name?: string): Promise<Answer> {
  const method = call.method ?? 'GET';
  const headers: Record<string, string> = { ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`http://${call.at ?? base}${call.path}`, {
    method,
    headers,
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    ...(call.form ? { body: call.form } : {}),
  });
  if (response.status === 202) throw new BusyMachine(`${method} ${call.path} answered 202`);
  const text = await response.text();
  const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  if (name) {
    const shownHeaders = Object.fromEntries(
      ['content-type', 'etag', 'x-chat-position', 'retry-after', 'www-authenticate']
        .map((header) => [header, response.headers.get(header)] as const)
        .filter(([, value]) => value !== null),
    );
    record(name, {
      request: {
        method,
        path: call.path,
        ...(Object.keys(call.headers ?? {}).length > 0 ? { headers: call.headers } : {}),
        ...(call.body !== undefined ? { body: call.body } : {}),
        ...(call.form ? { body: 'multipart/form-data; one part named "file" (a PNG)' } : {}),
      },
      response: { status: response.status, headers: shownHeaders, body },
    });
  }
  return { status: response.status, body, headers: response.headers };
}

/** A socket conversation, recorded as the frames sent and received in order, and the close if any. */
class Conversation {
  readonly steps: unknown[] = [];
  readonly socket: TestSocket;
  constructor(socket: TestSocket) {
    this.socket = socket;
  }
  send(frame: object) {
    this.steps.push({ send: frame });
    this.socket.send(frame);
  }
  private seen = 0;
  /**
   * The next frame that matches; the frames received before it are recorded too, in order, but for
   * `presence`: a status change reaches a socket in no fixed order with the room's feed (another path,
   * through Redis), so where one falls differs from run to run. The guide's Presence section shows them.
   */
  async receive(match: string | ((frame: Frame) => boolean)): Promise<Frame> {
    const frame = await this.socket.next(match, 20_000);
    const at = this.socket.frames.indexOf(frame, this.seen);
    for (const received of this.socket.frames.slice(this.seen, at + 1))
      if (received.type !== 'presence') this.steps.push({ receive: received });
    this.seen = at + 1;
    return frame;
  }
  async closed() {
    const closed = await this.socket.closed;
    this.steps.push({ close: closed });
    return closed;
  }
  record(name: string) {
    record(name, this.steps.splice(0));
  }
}

const socket = (path: string) => new Conversation(openSocket(`ws://${base}${path}`));

/** The conversation the guide shows, recorded into `raw`. */
async function converse(): Promise<void> {
  const alice = await tokenFor(ALICE, 'alice');
  const bob = await tokenFor(BOB, 'bob');

  // the projector is running before anything recorded (a write's answer waits for it at most 5 s)
  const warmUp = await rest({
    method: 'POST',
    path: '/api/chat/rooms/',
    token: alice,
    body: { room_type: 'direct', participant_ids: ['98'] },
  });
  for (let answer = warmUp; answer.status !== 200; ) {
    answer = await rest({ path: `/api/chat/rooms/?wait_for=${warmUp.body.position}`, token: alice });
  }

  // ── REST ──
  const room = (
    await rest(
      {
        method: 'POST',
        path: '/api/chat/rooms/',
        token: alice,
        body: { name: 'Pool repairs', room_type: 'task', task: 'T-17', participant_ids: [BOB] },
      },
      'create-room',
    )
  ).body;
  const roomPath = `/api/chat/rooms/${room.id}`;
  const postMessage = (token: string, body: object, name?: string) =>
    rest({ method: 'POST', path: `${roomPath}/messages/`, token, body }, name);
  const sent = await postMessage(alice, { content: 'On my way', client_id: 'c0ffee-0001' }, 'send-message');
  await postMessage(alice, { content: 'On my way', client_id: 'c0ffee-0001' }, 'send-message-retry');
  await postMessage(alice, { content: 'Other text', client_id: 'c0ffee-0001' }, 'send-message-conflict');
  let position = sent.body.position as string;
  for (const content of ['The pump is fixed', 'Invoice follows']) {
    position = (
      await rest({
        method: 'POST',
        path: `${roomPath}/messages/`,
        token: bob,
        body: { content, client_id: `bob-${content.length}` },
      })
    ).body.position;
  }
  await rest({ path: `/api/chat/rooms/?wait_for=${position}`, token: bob }, 'list-rooms');
  await rest({ path: `${roomPath}/`, token: alice }, 'get-room');
  const newest = await rest({ path: `${roomPath}/messages/?limit=2`, token: alice }, 'list-messages');
  await rest(
    { path: `${roomPath}/messages/?before=${newest.body.results[0].seq}&limit=2`, token: alice },
    'list-messages-before',
  );
  await rest(
    { path: `${roomPath}/messages/?after=${newest.body.results[0].seq}`, token: alice },
    'list-messages-after',
  );

  const messagePath = `/api/chat/messages/${sent.body.id}`;
  const current = await rest({ path: `${messagePath}/`, token: alice });
  await rest(
    {
      method: 'PATCH',
      path: `${messagePath}/`,
      token: alice,
      headers: { 'if-match': current.headers.get('etag')! },
      body: { content: 'On my way, 10 min' },
    },
    'edit-message',
  );
  await rest(
    {
      method: 'PATCH',
      path: `${messagePath}/`,
      token: alice,
      headers: { 'if-match': current.headers.get('etag')! },
      body: { content: 'stale' },
    },
    'edit-message-stale',
  );
  await rest(
    { method: 'POST', path: `${messagePath}/reactions/`, token: bob, body: { emoji: '👍' } },
    'add-reaction',
  );
  await rest(
    { method: 'POST', path: `${roomPath}/mark-read/`, token: bob, body: { message_id: sent.body.id } },
    'mark-read',
  );
  await rest(
    {
      method: 'POST',
      path: `${roomPath}/participants/`,
      token: alice,
      body: { user_id: CAROL, username: 'carol' },
    },
    'add-participant',
  );

  const form = new FormData();
  form.append('file', new Blob([TINY_PNG], { type: 'image/png' }), 'pump.png');
  const upload = await rest(
    { method: 'POST', path: `${roomPath}/attachments/`, token: alice, form },
    'upload-attachment',
  );
  const photo = await rest(
    {
      method: 'POST',
      path: `${roomPath}/messages/`,
      token: alice,
      body: { content: 'Photo of the pump', attachment_id: upload.body.id, client_id: 'c0ffee-0002' },
    },
    'send-attachment-message',
  );

  // what the sockets show below (unread counts, seqs) is what the read models hold once all this is in
  await rest({ path: `${roomPath}/messages/?wait_for=${photo.body.position}`, token: alice });

  // ── errors ──
  await rest(
    { path: '/api/chat/rooms/', token: await mintToken(ALICE, { expiresIn: -120 }) },
    'error-token-expired',
  );
  await rest(
    { path: `/api/chat/rooms/${room.id.replace(/.$/, room.id.endsWith('0') ? '1' : '0')}/`, token: alice },
    'error-not-found',
  );
  await rest(
    { method: 'POST', path: `${roomPath}/messages/`, token: alice, body: { content: 'hi', sender: '1' } },
    'error-unknown-field',
  );
  await rest(
    { method: 'POST', path: `${roomPath}/messages/`, token: alice, body: { content: '' } },
    'error-content-required',
  );

  // ── the room socket ──
  const bobRoom = socket(`/ws/chat/${room.id}/?token=${bob}`);
  const greeting = await bobRoom.receive('connection_established');
  bobRoom.record('room-socket-connect');
  expect(greeting.unread_count).toBeGreaterThan(0);

  const aliceRoom = socket(`/ws/chat/${room.id}/?token=${alice}`);
  await aliceRoom.receive('connection_established');
  aliceRoom.steps.length = 0;
  aliceRoom.send({
    type: 'chat_message',
    message: 'Can you check the filter too?',
    client_id: 'c0ffee-0003',
  });
  await aliceRoom.receive('message_ack');
  const live = await aliceRoom.receive('chat_message');
  aliceRoom.record('room-socket-send');
  await bobRoom.socket.next((frame) => frame.type === 'chat_message' && frame.seq === live.seq, 20_000);

  aliceRoom.send({
    type: 'chat_message',
    message: 'Can you check the filter too?',
    client_id: 'c0ffee-0003',
  });
  await aliceRoom.receive('message_ack');
  aliceRoom.record('room-socket-send-retry');

  // what one participant sends and another receives, in one block
  const typing = { type: 'typing', is_typing: true };
  bobRoom.socket.send(typing);
  const shown = await aliceRoom.socket.next('typing', 20_000);
  record('room-socket-typing', [
    { send: typing, by: 'bob' },
    { receive: shown, by: 'alice' },
  ]);
  aliceRoom.steps.length = 0;

  bobRoom.send({ type: 'read_receipt', message_id: (live.message as { id: string }).id });
  await bobRoom.receive('read_receipt');
  await bobRoom.receive('unread_count');
  bobRoom.record('room-socket-read-receipt');

  bobRoom.send({ type: 'ping' });
  await bobRoom.receive('pong');
  bobRoom.send({ type: 'chat_message', message: 42 });
  await bobRoom.receive('error');
  bobRoom.record('room-socket-ping-and-error');
  await Promise.all([bobRoom.socket.close(), aliceRoom.socket.close()]);

  // ── resume ──
  const lastSeen = (live.seq as number) - 2;
  const resumed = socket(`/ws/chat/${room.id}/?token=${bob}&last_seq=${lastSeen}`);
  await resumed.receive('connection_established');
  await resumed.receive('resumed'); // with every frame replayed before it
  resumed.record('room-socket-resume');
  await resumed.socket.close();
  const unknown = socket(`/ws/chat/${room.id}/?token=${bob}&last_seq=100000`);
  await unknown.receive('connection_established');
  await unknown.receive('resumed');
  unknown.record('room-socket-resume-not-recovered');
  await unknown.socket.close();

  // ── the user socket ──
  const user = socket(`/ws/chat/?token=${bob}`);
  await user.receive('connection_established');
  user.send({ type: 'subscribe', room_id: room.id, last_seq: live.seq });
  await user.receive('subscribed');
  user.record('user-socket-subscribe');
  const other = await rest({
    method: 'POST',
    path: '/api/chat/rooms/',
    token: alice,
    body: { name: 'Roof inspection', room_type: 'property', property: 'P-3', participant_ids: [BOB] },
  });
  await user.receive('room_added');
  user.send({ type: 'subscribe', room_id: other.body.id, last_seq: 0 });
  await user.receive('subscribed');
  user.send({
    type: 'chat_message',
    room_id: other.body.id,
    message: 'Tomorrow at 9?',
    client_id: 'bob-roof-1',
  });
  await user.receive('message_ack');
  await user.receive((frame) => frame.type === 'chat_message' && frame.room_id === other.body.id);
  user.record('user-socket-room-added');
  await user.socket.close();

  // ── closes ──
  const expiring = socket(
    `/ws/chat/${room.id}/?token=${await mintToken(BOB, { expiresIn: 2, claims: { username: 'bob' } })}`,
  );
  await expiring.receive('connection_established');
  await expiring.closed();
  expiring.record('close-token-expired');
  const stranger = socket(`/ws/chat/${room.id}/?token=${await tokenFor('99', 'mallory')}`);
  await stranger.closed();
  stranger.record('close-not-a-participant');

  // ── search, edit history, delete ──
  await rest({ path: `/api/chat/search/?q=pump&wait_for=${photo.body.position}`, token: alice }, 'search');
  await rest({ path: `${roomPath}/messages/?q=invoice`, token: alice }, 'search-room');
  await rest({ path: `${messagePath}/history/`, token: alice }, 'message-history');
  const deleted = await rest(
    { method: 'DELETE', path: `/api/chat/messages/${photo.body.id}/`, token: alice },
    'delete-message',
  );
  await rest(
    { path: `/api/chat/messages/${photo.body.id}/?wait_for=${deleted.body.position}`, token: alice },
    'get-deleted-message',
  );

  // ── presence: what bob's user socket shows of alice, and the REST side ──
  const bobUser = openSocket(`ws://${base}/ws/chat/?token=${bob}`);
  await bobUser.next('connection_established', 20_000);
  const isAlice = (status: string) => (frame: Frame) =>
    frame.type === 'presence' && frame.user_id === ALICE && frame.status === status;
  const aliceUser = openSocket(`ws://${base}/ws/chat/?token=${alice}`);
  await aliceUser.next('connection_established', 20_000);
  const online = await bobUser.next(isAlice('online'), 20_000);
  const away = { type: 'set_presence', away: true };
  aliceUser.send(away);
  const shownAway = await bobUser.next(isAlice('away'), 20_000);
  record('socket-presence', [
    { receive: online, by: 'bob', after: 'alice opened a socket' },
    { send: away, by: 'alice' },
    { receive: shownAway, by: 'bob' },
  ]);
  await rest({ path: `/api/chat/users/${ALICE}/presence/`, token: bob }, 'get-user-presence');
  await rest(
    { method: 'PUT', path: '/api/chat/presence/', token: alice, body: { invisible: true } },
    'set-presence-settings',
  );
  const hidden = await bobUser.next(isAlice('offline'), 20_000);
  record('socket-presence-invisible', [{ receive: hidden, by: 'bob' }]);
  await rest({ path: '/api/chat/presence/', token: alice }, 'get-presence-settings');
  await rest({ method: 'PUT', path: '/api/chat/presence/', token: alice, body: { invisible: false } });
  await Promise.all([bobUser.close(), aliceUser.close()]);

  // ── refusals: slow mode, a moderation rule, a rate limit ──
  const slow = await rest({
    method: 'POST',
    path: '/api/chat/rooms/',
    token: alice,
    body: {
      name: 'Announcements',
      room_type: 'group',
      participant_ids: [BOB],
      settings: { slow_mode_seconds: 60 },
    },
  });
  await rest({
    method: 'POST',
    path: `/api/chat/rooms/${slow.body.id}/messages/`,
    token: bob,
    body: { content: 'Pool closed on Monday', client_id: 'bob-slow-1' },
  });
  const tooSoon = await rest(
    {
      method: 'POST',
      path: `/api/chat/rooms/${slow.body.id}/messages/`,
      token: bob,
      body: { content: 'And on Tuesday', client_id: 'bob-slow-2' },
    },
    'error-slow-mode',
  );
  if (tooSoon.headers.get('retry-after') !== '60') throw new BusyMachine('slow mode: over a second passed');

  const moderator = await mintToken('7', { claims: { username: 'mod', roles: ['moderator'] } });
  await rest({
    method: 'POST',
    path: '/api/moderation/rules/',
    token: moderator,
    body: {
      name: 'No card numbers',
      action: 'bounce',
      match: { kind: 'regex', pattern: '\\b(?:\\d[ -]?){15}\\d\\b' },
    },
  });
  await postMessage(
    alice,
    { content: 'My card is 4111 1111 1111 1111', client_id: 'c0ffee-0004' },
    'error-message-bounced',
  );

  await overRateLimit();
}

/** A 429 rate_limited, from a service of its own with rate limits on (the guide's has them off). */
async function overRateLimit(): Promise<void> {
  const limited = await startTestApp('chat_api_guide_limits', {
    RATE_LIMITS: 'on',
    RATE_LIMIT_SEND_PER_SECOND: '1',
    RATE_LIMIT_SEND_BURST: '1',
  });
  try {
    await limited.app.listen({ port: 0, host: '127.0.0.1' });
    const at = `127.0.0.1:${(limited.app.server.address() as { port: number }).port}`;
    const alice = await tokenFor(ALICE, 'alice');
    const room = await rest({
      at,
      method: 'POST',
      path: '/api/chat/rooms/',
      token: alice,
      body: { room_type: 'direct', participant_ids: [BOB] },
    });
    const send = (content: string, client_id: string, name?: string) =>
      rest(
        {
          at,
          method: 'POST',
          path: `/api/chat/rooms/${room.body.id}/messages/`,
          token: alice,
          body: { content, client_id },
        },
        name,
      );
    await send('Are you there?', 'c0ffee-0101');
    const refused = await send('Hello?', 'c0ffee-0102', 'error-rate-limited');
    if (refused.status !== 429) throw new BusyMachine('rate limit: over a second passed between the sends');
  } finally {
    await limited.stop();
  }
}

describe('the conversation CHAT_API.md shows', () => {
  it('records every exchange and matches the guide', async () => {
    for (let attempt = 1; ; attempt++) {
      await startService();
      try {
        await converse();
        break;
      } catch (error) {
        if (!(error instanceof BusyMachine) || attempt === ATTEMPTS) throw error;
        raw.clear();
        await t.stop();
      }
    }
    const normalize = new Normalizer([...raw.values()]);
    const recorded = new Map([...raw].map(([name, value]) => [name, normalize.value(value)]));
    const guide = await readFile(GUIDE, 'utf8');
    const check = checkGuide(guide, recorded);
    if (process.env.UPDATE_CHAT_API === '1' && check.stale.length > 0) await writeFile(GUIDE, check.text);
    expect({ missingRecordings: check.missing, blocksNotInTheGuide: check.unused }).toEqual({
      missingRecordings: [],
      blocksNotInTheGuide: [],
    });
    if (process.env.UPDATE_CHAT_API !== '1') {
      expect(
        check.stale,
        'CHAT_API.md shows other JSON than the service sends: UPDATE_CHAT_API=1 rewrites it',
      ).toEqual([]);
    }
  });
});

/** The tags of the operations a chat app calls; moderators' (`/moderation/`) are in docs/api.md. */
const CHAT_CLIENT_TAGS = new Set(['rooms', 'messages', 'participants', 'presence', 'safety', 'attachments']);
const ENDPOINT = /`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s?]*)/g;
/** `/api/chat/rooms/{room_id}/` and `/rooms/{id}` name the same endpoint */
const endpointKey = (method: string, path: string) =>
  `${method} ${path
    .replace(/^\/api\/chat/, '')
    .replace(/\{[^}]+\}/g, '{}')
    .replace(/\/?$/, '/')}`;

/** The names in the first column of the table under a `### heading` of the guide. */
function firstColumn(guide: string, heading: string): Set<string> {
  const start = guide.indexOf(`\n### ${heading}\n`);
  if (start < 0) throw new Error(`CHAT_API.md has no "### ${heading}"`);
  const section = guide.slice(start + 1).split(/\n#{2,3} /)[0]!;
  const cells = section.split('\n').flatMap((line) => (line.startsWith('|') ? [line.split('|')[1]!] : []));
  return new Set(cells.flatMap((cell) => [...cell.matchAll(/`(\w+)`/g)].map((m) => m[1]!)));
}

describe('what CHAT_API.md names', () => {
  it('names every operation of the chat client and every frame type of the contract', async () => {
    if (!t) await startService();
    const guide = await readFile(GUIDE, 'utf8');
    const named = new Set([...guide.matchAll(ENDPOINT)].map((m) => endpointKey(m[1]!, m[2]!)));
    const document = (await t.app.inject('/openapi.json')).json() as {
      paths: Record<string, Record<string, { tags?: string[]; operationId?: string }>>;
    };
    const operations = Object.entries(document.paths)
      .filter(([path]) => !path.startsWith('/api/chat/moderation/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, operation]) => operation.tags?.some((tag) => CHAT_CLIENT_TAGS.has(tag)))
          .map(([method, operation]) => ({
            key: endpointKey(method.toUpperCase(), path),
            id: operation.operationId,
          })),
      );
    expect(operations.length).toBeGreaterThan(20);
    const clientFrames = firstColumn(guide, 'Frames, client → server');
    const serverFrames = firstColumn(guide, 'Frames, server → client');
    expect({
      operationsNotInTheGuide: operations.filter((o) => !named.has(o.key)).map((o) => `${o.key} (${o.id})`),
      clientFramesNotInTheGuide: Object.keys(CLIENT_FRAMES).filter((type) => !clientFrames.has(type)),
      serverFramesNotInTheGuide: Object.keys(SERVER_FRAME_SCHEMAS).filter((type) => !serverFrames.has(type)),
    }).toEqual({ operationsNotInTheGuide: [], clientFramesNotInTheGuide: [], serverFramesNotInTheGuide: [] });
  });
});
