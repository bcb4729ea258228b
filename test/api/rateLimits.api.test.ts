// Rate limits on one node: writes and uploads per user, requests without credentials and WebSocket
// handshakes per address (health probes exempt), the 429s in the OpenAPI document; and with Redis away
// the node counts alone: limits still hold, and it does not refuse everyone. Across processes:
// rateLimits.acrossProcesses.api.test.ts.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Frame, openSocket } from '../realtime/support/testSocket.ts';
import { mostSendsAllowedWithin } from '../support/rateLimits.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.ts';
import { mintToken } from '../support/tokens.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { multipartFile, TINY_PNG } from './support/multipart.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

const SEND_PER_SECOND = 5;
const SEND_BURST = 10;
const SEND_LIMIT = { perSecond: SEND_PER_SECOND, burst: SEND_BURST };
let t: TestApp;
let redis: TcpProxy;
let alice: UserClient;
let bob: UserClient;
let roomId: string;

beforeAll(async () => {
  redis = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  t = await startTestApp(
    'rate_limits',
    {
      RATE_LIMITS: 'on',
      RATE_LIMIT_SEND_PER_SECOND: String(SEND_PER_SECOND),
      RATE_LIMIT_SEND_BURST: String(SEND_BURST),
      RATE_LIMIT_WRITE_PER_SECOND: '1',
      RATE_LIMIT_WRITE_BURST: '1',
      RATE_LIMIT_UPLOADS_PER_MINUTE: '1',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3',
    },
    {},
    { through: { redis } },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  alice = await clientFor(t.app, randomUUID());
  bob = await clientFor(t.app, randomUUID());
  roomId = (
    await alice.post('/api/chat/rooms/', {
      name: 'limits',
      room_type: 'group',
      participant_ids: [bob.userId],
    })
  ).body.id;
});
afterAll(async () => {
  await t?.stop();
  await redis?.close();
});

describe('rate limits on one node', () => {
  it('refuses writes over the limit with 429 rate_limited and Retry-After; reads go on', async () => {
    const carol = await clientFor(t.app, randomUUID());
    const room = (await carol.post('/api/chat/rooms/', { name: 'writes', room_type: 'group' })).body.id;
    // one a second and no burst: of five at once at most two land (the window may turn between them)
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => carol.patch(`/api/chat/rooms/${room}/`, { name: `name ${i}` })),
    );
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.body.code).toBe('rate_limited');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect((await carol.get(`/api/chat/rooms/${room}/`)).status).toBe(200);
    // someone else's writes are their own
    expect((await bob.post(`/api/chat/rooms/${roomId}/mark-read/`, {})).status).toBe(200);
  });

  it('counts a moderator’s rule changes on the write allowance, as every other write', async () => {
    const moderator = await clientFor(t.app, randomUUID(), { roles: ['moderator'] });
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        moderator.post('/api/moderation/rules/', {
          name: `rule ${i}`,
          action: 'flag',
          match: { kind: 'words', words: [`word${i}`] },
        }),
      ),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(answers.filter((answer) => answer.status === 201).length).toBe(5 - refused.length);
    for (const answer of refused) expect(answer.body.code).toBe('rate_limited');
    expect((await moderator.get('/api/moderation/rules/')).body.rules.length).toBe(5 - refused.length);
  });

  it('counts uploads on their own allowance', async () => {
    const dave = await clientFor(t.app, randomUUID());
    const room = (await dave.post('/api/chat/rooms/', { name: 'files', room_type: 'group' })).body.id;
    const upload = async () => {
      const body = multipartFile('photo.png', 'image/png', TINY_PNG);
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/chat/rooms/${room}/attachments/`,
        payload: body.payload,
        headers: { ...body.headers, authorization: `Bearer ${await mintToken(dave.userId)}` },
      });
      return { status: response.statusCode, code: response.json().code };
    };
    expect((await upload()).status).toBe(201);
    expect(await upload()).toEqual({ status: 429, code: 'rate_limited' });
    // the send allowance is another one
    expect((await dave.post(`/api/chat/rooms/${room}/messages/`, { content: 'still here' })).status).toBe(
      201,
    );
  });

  it('answers a user socket’s sends over the limit with rate_limited frames and keeps it open; REST counts on the same allowance, and nothing refused is stored', async () => {
    const frank = await clientFor(t.app, randomUUID());
    const created = (await frank.post('/api/chat/rooms/', { name: 'socket', room_type: 'group' })).body;
    const room = created.id;
    await frank.get(`/api/chat/rooms/${room}/?wait_for=${created.position}`); // projected: a socket may join
    const { port } = t.app.server.address() as { port: number };
    const socket = openSocket(`ws://127.0.0.1:${port}/ws/chat/`, {
      protocols: ['bearer', await mintToken(frank.userId)],
    });
    await socket.next('connection_established');
    socket.send({ type: 'subscribe', room_id: room });
    await socket.next('subscribed');
    // half the burst over REST first: the socket's sends then meet the limit sooner
    const startedAt = Date.now();
    const rest = await Promise.all(
      Array.from({ length: SEND_BURST / 2 }, (_, i) =>
        frank.post(`/api/chat/rooms/${room}/messages/`, { content: `rest ${i}` }),
      ),
    );
    // in rounds of fewer than the socket's backlog of 16 frames (which refuses on its own), until the limit
    // refuses some: a slow machine may take a second or more per round
    const answers: Frame[] = [];
    for (let round = 0; round < 6 && !answers.some((frame) => frame.type === 'error'); round++) {
      for (let i = 0; i < 15; i++) {
        socket.send({
          type: 'chat_message',
          room_id: room,
          message: `flood ${round}.${i}`,
          client_id: `f-${round}-${i}`,
        });
      }
      for (let i = 0; i < 15; i++) {
        answers.push(await socket.next((f) => f.type === 'message_ack' || f.type === 'error'));
      }
    }
    const refused = answers.filter((frame) => frame.type === 'error');
    const acks = answers.filter((frame) => frame.type === 'message_ack');
    const sent = rest.filter((answer) => answer.status === 201);
    expect(refused.length).toBeGreaterThan(0);
    expect(sent.length + acks.length).toBeLessThanOrEqual(
      mostSendsAllowedWithin((Date.now() - startedAt) / 1000, SEND_LIMIT),
    );
    for (const answer of rest.filter((a) => a.status !== 201)) expect(answer.body.code).toBe('rate_limited');
    for (const frame of refused) {
      expect(frame).toMatchObject({ code: 'rate_limited', client_id: expect.stringMatching(/^f-/) });
      expect(frame.retry_after_ms).toBeGreaterThan(0);
    }
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
    // the room holds what was accepted, REST and socket, and nothing else
    const positions = [...sent.map((a) => a.body.position), ...acks.map((f) => f.position)] as string[];
    const last = positions.sort().at(-1);
    const stored = await frank.get(`/api/chat/rooms/${room}/messages/?limit=200&wait_for=${last}`);
    expect(stored.status).toBe(200);
    expect(stored.body.results).toHaveLength(sent.length + acks.length);
  });

  it('limits requests without credentials and socket handshakes per address, never health probes', async () => {
    const anonymous = () => t.app.inject({ method: 'GET', url: '/api/chat/rooms/' });
    // three a minute: the handshake of the test before took one
    const statuses = [];
    let over = await anonymous();
    while (over.statusCode === 401 && statuses.length < 5) {
      statuses.push(over.statusCode);
      over = await anonymous();
    }
    expect(statuses).toEqual([401, 401]);
    expect(over.statusCode).toBe(429);
    expect(over.json().code).toBe('rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // a request with credentials draws on its user's allowance, not the address's
    expect((await alice.get('/api/chat/rooms/')).status).toBe(200);

    const { port } = t.app.server.address() as { port: number };
    const handshake = new WebSocket(`ws://127.0.0.1:${port}/ws/chat/?token=${await mintToken(alice.userId)}`);
    const status = await new Promise<number>((resolve, reject) => {
      handshake.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      handshake.on('open', () => reject(new Error('the handshake over the limit was accepted')));
      handshake.on('error', () => {});
    });
    expect(status).toBe(429);
  });

  it('declares 429 in the OpenAPI document', async () => {
    const document = (
      await t.app.inject({ method: 'GET', url: '/openapi.json', headers: await authFor(alice.userId) })
    ).json();
    const send = document.paths['/api/chat/rooms/{room_id}/messages/'].post;
    expect(send.responses['429'].description).toContain('rate_limited');
  });

  it('with Redis away, counts on this node alone: limits hold and sends still go through', async () => {
    await redis.cut();
    try {
      const erin = await clientFor(t.app, randomUUID());
      const room = (
        await alice.post('/api/chat/rooms/', {
          name: 'outage',
          room_type: 'group',
          participant_ids: [erin.userId],
        })
      ).body.id;
      const startedAt = Date.now();
      const answers = [];
      // three times the sustained rate for two seconds
      for (let i = 0; i < 6 * SEND_PER_SECOND; i++) {
        answers.push(erin.post(`/api/chat/rooms/${room}/messages/`, { content: `during the outage ${i}` }));
        await sleep(1000 / (3 * SEND_PER_SECOND));
      }
      const settled = await Promise.all(answers);
      const seconds = (Date.now() - startedAt) / 1000;
      const stored = settled.filter((answer) => answer.status === 201).length;
      const refused = settled.filter((answer) => answer.status !== 201);
      expect(stored).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const answer of refused) expect(answer.body.code).toBe('rate_limited');
      expect(stored).toBeLessThanOrEqual(mostSendsAllowedWithin(seconds, SEND_LIMIT));
    } finally {
      await redis.restore();
    }
  });
});
