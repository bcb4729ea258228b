// /metrics as ops would scrape it: from `npm start`'s process (its projector in a worker thread, whose
// share the main thread adds in) on a port of its own, before and after traffic; and behind the ops role
// on the service's port when no metrics port is configured.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket } from '../realtime/support/testSocket.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { listeningPort, type MainProcess, startMain } from '../support/mainProcess.ts';
import { mintToken, TEST_JWT_SECRET } from '../support/tokens.ts';
import { startTestApp } from './support/testApp.ts';

let database: TestDatabase;
let main: MainProcess;
let api: string;
let metricsUrl: string;

beforeAll(async () => {
  database = await createTestDatabase('metrics');
  main = startMain({
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('metrics'),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    METRICS_PORT: '0',
  });
  api = `127.0.0.1:${await listeningPort(main)}`;
  metricsUrl = (await main.waitForLine(/"url":"(http:\/\/[^"]+\/metrics)"/))[1]!;
  await main.waitForLine(/projection leader: projecting/);
}, 180_000);
afterAll(async () => {
  main?.process.kill('SIGKILL');
  await main?.exited;
  await database?.drop();
});

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z0-9_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}
const value = (samples: Map<string, number>, key: string) => samples.get(key) ?? 0;

describe('/metrics on METRICS_PORT', () => {
  it('moves with traffic: HTTP, sockets, frames, deliveries, latencies, appends, projection, pools, jobs, runtime', async () => {
    const before = await scrape();
    const alice = randomUUID();
    const token = await mintToken(alice);
    const created = await fetch(`http://${api}/api/chat/rooms/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Metrics', room_type: 'group', participant_ids: [randomUUID()] }),
    });
    expect(created.status).toBe(201);
    const room = (await created.json()) as { id: string };
    const socket = openSocket(`ws://${api}/ws/chat/${room.id}/?token=${token}`);
    await socket.next('connection_established');
    for (let i = 0; i < 3; i++)
      socket.send({ type: 'chat_message', message: `hello ${i}`, client_id: `m-${i}` });
    for (let i = 0; i < 3; i++) await socket.next('chat_message', 30_000);

    const after = await scrape();
    const moved = (key: string) => value(after, key) - value(before, key);
    expect(
      moved('chat_http_request_duration_seconds_count{method="POST",route="/api/chat/rooms/",status="201"}'),
    ).toBe(1);
    expect(value(after, 'chat_websockets_open{kind="room"}')).toBe(1);
    expect(moved('chat_websocket_frames_received_total{kind="room"}')).toBe(3);
    expect(moved('chat_websocket_frames_sent_total')).toBeGreaterThanOrEqual(7); // greeting, 3 acks, 3 messages
    expect(moved('chat_feed_deliveries_total')).toBeGreaterThanOrEqual(3);
    expect(moved('chat_send_to_delivery_seconds_count')).toBe(3);
    expect(moved('chat_fanout_lag_seconds_count')).toBe(3);
    expect(moved('chat_eventstore_append_duration_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(moved('chat_eventstore_append_group_size_count')).toBeGreaterThanOrEqual(1);
    // counted in the projector thread, summed in by the main thread
    expect(moved('chat_projection_batch_duration_seconds_count{projection="chat"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(moved('chat_projection_batch_events_sum{projection="chat"}')).toBeGreaterThanOrEqual(4);
    expect(after.has('chat_projection_lag_events{projection="chat"}')).toBe(true);
    expect(value(after, 'chat_db_pool_connections{process="app",state="max"}')).toBe(10);
    expect(value(after, 'chat_db_pool_connections{process="projector",state="max"}')).toBe(6);
    expect(after.has('chat_job_queue_jobs{queue="mute-expiry",state="waiting"}')).toBe(true);
    expect(value(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    // every series the Grafana dashboard plots exists
    const dashboard = await readFile(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8');
    const plotted = new Set(dashboard.match(/\b(?:chat|nodejs|process)_[a-z0-9_]+/g));
    const missing = [...plotted].filter((name) => ![...after.keys()].some((key) => key.startsWith(name)));
    expect(missing).toEqual([]);
    // ids never become labels
    expect([...after.keys()].some((key) => key.includes(room.id) || key.includes(alice))).toBe(false);
    await socket.close();
  });

  it('is not served on the service port then', async () => {
    const token = await mintToken(randomUUID(), { claims: { roles: ['ops'] } });
    const response = await fetch(`http://${api}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
  });
});

describe('/metrics without METRICS_PORT', () => {
  it('is for tokens with the ops role only', async () => {
    const t = await startTestApp('metrics_ops', {}, {}, { projector: false });
    try {
      const get = async (roles?: string[]) =>
        t.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: roles
            ? { authorization: `Bearer ${await mintToken(randomUUID(), { claims: { roles } })}` }
            : {},
        });
      expect((await get()).statusCode).toBe(401);
      expect((await get([])).statusCode).toBe(404);
      const ops = await get(['ops']);
      expect(ops.statusCode).toBe(200);
      expect(ops.body).toContain('chat_http_request_duration_seconds_bucket');
    } finally {
      await t.stop();
    }
  });
});
