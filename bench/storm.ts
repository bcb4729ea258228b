// `npm run bench -- storm [--sockets=10000] [--rate=200] [--after=20]`: a reconnect storm. N room sockets
// (rooms of 10 members, created over REST like the realtime benchmark's) are connected to the app as
// `npm start` runs it; the app is restarted (SIGTERM, which closes every socket with 1012, then a new
// process on the same port, database and Redis prefix) while the connected clients keep sending at --rate
// messages/s in total. Every client reconnects as the client library (src/client) does, with its jittered
// exponential backoff, resuming with `?last_seq=` the last seq it holds. Measured: when each
// socket is back and resumed (`resumed` with `recovered: true`), counted from the SIGTERM and from the new
// process answering /healthz; the feed each client saw (a seq it had already is a duplicate, a jump over
// one is a gap); and, for every message the server acknowledged, that every member of its room got it,
// with its send -> delivery latency (live or replayed on resume), split into messages sent before the
// storm, during it (until the last socket is back), and after.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/client/socket.ts';
import { optionIn } from './_option.ts';
import { startApp } from './realtime/processes.ts';
import { type Scenario, startTarget } from './realtime.ts';

const MEMBERS = 10;
const CONNECT_CONCURRENCY = 50;
const GOAL_BACK_MS = 15_000;
const GOAL_P99_MS = 1_000;

type StormClient = {
  url: string;
  room: number;
  ws?: WebSocket;
  /** the last seq of the room's feed this client holds (its resume cursor) */
  lastSeq: number;
  open: boolean;
  /** it connected before: every later connection resumes, also from 0 */
  resumes: boolean;
  /** attempts in a row that did not get to connection_established */
  failures: number;
  /** when it was back after the storm: `resumed` with recovered true */
  backAt?: number;
  notRecovered: number;
  /** message indexes seen: a message is delivered to a client once */
  seen: Set<number>;
};

type Phase = 'before' | 'during' | 'after';

const CONTENT = /^(\d+)\|(\d+(?:\.\d+)?)$/;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
/** the largest value (NaN for none); a spread of a million latencies would overflow the stack */
const maximum = (values: number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '-');

export async function main(args: string[]) {
  const option = optionIn(args);
  const sockets = Number(option('sockets') ?? 10_000);
  const rate = Number(option('rate') ?? 200);
  const afterSeconds = Number(option('after') ?? 20);
  const scenario: Scenario = {
    name: 'storm',
    rooms: Math.ceil(sockets / MEMBERS),
    members: MEMBERS,
    rates: [],
  };
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}; load average ${os.loadavg()[0]!.toFixed(1)}`);

  const { server, clients: specs, cleanUp, env } = await startTarget('app', scenario, 'empty');
  let current = server;
  const clients: StormClient[] = specs.map((spec) => ({
    url: spec.url,
    room: spec.room,
    lastSeq: 0,
    open: false,
    resumes: false,
    failures: 0,
    notRecovered: 0,
    seen: new Set(),
  }));
  /** why connection attempts failed, with how many */
  const refusals = new Map<string, number>();
  let duplicates = 0;
  let gaps = 0;
  let stopping = false;
  let stormAt = Number.POSITIVE_INFINITY;
  let allBackAt = Number.POSITIVE_INFINITY;
  let restartedAt = Number.POSITIVE_INFINITY;
  const acked = new Map<number, { room: number; sentAt: number; phase: Phase }>();
  const pending = new Map<number, { room: number; sentAt: number; phase: Phase }>();
  /** latency of each delivery by the message index */
  const deliveries = new Map<number, number[]>();
  let back = 0;

  const phaseAt = (time: number): Phase =>
    time < stormAt ? 'before' : time < allBackAt ? 'during' : 'after';

  const onFrame = (client: StormClient, text: string) => {
    const frame = JSON.parse(text) as {
      type: string;
      seq?: number;
      recovered?: boolean;
      client_id?: string;
      message?: { content?: string };
    };
    if (frame.type === 'message_ack') {
      const index = Number(frame.client_id?.slice(1));
      const sent = pending.get(index);
      if (sent) {
        pending.delete(index);
        acked.set(index, sent);
      }
      return;
    }
    if (frame.type === 'resumed') {
      if (!frame.recovered) client.notRecovered++;
      if (client.backAt === undefined && performance.now() > stormAt) {
        client.backAt = performance.now();
        if (++back === clients.length) allBackAt = client.backAt;
      }
      return;
    }
    if (frame.seq === undefined) return;
    // live from the room's end (the first connection, no last_seq): the feed starts wherever it is
    if (!client.resumes) client.lastSeq = Math.max(client.lastSeq, frame.seq - 1);
    if (frame.seq <= client.lastSeq) {
      duplicates++;
      return;
    }
    if (frame.seq > client.lastSeq + 1) gaps++;
    client.lastSeq = frame.seq;
    if (frame.type !== 'chat_message') return;
    const match = CONTENT.exec(frame.message?.content ?? '');
    if (!match) return;
    const index = Number(match[1]);
    if (client.seen.has(index)) return;
    client.seen.add(index);
    const latencies = deliveries.get(index) ?? [];
    latencies.push(performance.now() - Number(match[2]));
    deliveries.set(index, latencies);
  };

  /** Opens the client's socket (resuming from its last seq) and keeps it open until the run stops. */
  const open = (client: StormClient): Promise<void> =>
    new Promise((resolve) => {
      const url = client.resumes ? `${client.url}&last_seq=${client.lastSeq}` : client.url;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      client.ws = ws;
      let established = false;
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"type":"connection_established"')) {
          established = true;
          client.open = true;
          resolve();
        } else onFrame(client, text);
      });
      let refusal = '';
      ws.on('error', (error) => {
        refusal = error.message;
      });
      ws.on('close', (code) => {
        client.open = false;
        if (!established && !stopping) {
          const why = refusal || `closed ${code}`;
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
        if (established) client.resumes = true;
        if (!established) resolve();
        if (stopping) return;
        // as the client library (src/client) reconnects: jittered exponential backoff while attempts fail
        client.failures = established ? 0 : client.failures + 1;
        const delay = backoffDelay(client.failures, DEFAULT_BACKOFF);
        setTimeout(() => void open(client), delay);
      });
    });

  try {
    const connectStarted = performance.now();
    for (let i = 0; i < clients.length; i += CONNECT_CONCURRENCY) {
      await Promise.all(clients.slice(i, i + CONNECT_CONCURRENCY).map(open));
    }
    console.log(`${clients.length} sockets connected in ${ms(performance.now() - connectStarted)} ms`);

    let nextIndex = 0;
    let cursor = 0;
    const sendStarted = performance.now();
    const sender = setInterval(() => {
      const due = Math.floor(((performance.now() - sendStarted) / 1000) * rate) - nextIndex;
      for (let n = 0; n < due; n++) {
        // round-robin over the clients that are connected now (a disconnected one has nothing to send on)
        for (let tries = 0; tries < clients.length; tries++) {
          const client = clients[cursor]!;
          cursor = (cursor + 1) % clients.length;
          if (!client.open) continue;
          const index = nextIndex++;
          const now = performance.now();
          pending.set(index, { room: client.room, sentAt: now, phase: phaseAt(now) });
          client.ws!.send(
            `{"type":"chat_message","message":"${index}|${now.toFixed(3)}","client_id":"s${index}"}`,
          );
          break;
        }
      }
    }, 5);

    await sleep(10_000);
    console.log('restarting the app');
    stormAt = performance.now();
    await current.stop();
    current = await startApp(env!);
    restartedAt = performance.now();
    console.log(`new process healthy ${ms(restartedAt - stormAt)} ms after the SIGTERM`);
    const deadline = performance.now() + 120_000;
    while (back < clients.length && performance.now() < deadline) await sleep(100);
    console.log(`${back} of ${clients.length} sockets back ${ms(performance.now() - stormAt)} ms after it`);
    await sleep(afterSeconds * 1000);
    clearInterval(sender);
    await sleep(5_000);
    stopping = true;

    const roomSize = new Map<number, number>();
    for (const client of clients) roomSize.set(client.room, (roomSize.get(client.room) ?? 0) + 1);
    const byPhase: Record<
      Phase,
      { messages: number; expected: number; delivered: number; latencies: number[] }
    > = {
      before: { messages: 0, expected: 0, delivered: 0, latencies: [] },
      during: { messages: 0, expected: 0, delivered: 0, latencies: [] },
      after: { messages: 0, expected: 0, delivered: 0, latencies: [] },
    };
    for (const [index, { room, phase }] of acked) {
      const latencies = deliveries.get(index) ?? [];
      const row = byPhase[phase];
      row.messages++;
      row.expected += roomSize.get(room)!;
      row.delivered += latencies.length;
      row.latencies.push(...latencies);
    }
    const backTimes = clients.flatMap((client) => (client.backAt === undefined ? [] : [client.backAt]));
    const fromStorm = backTimes.map((time) => time - stormAt);
    const fromRestart = backTimes.map((time) => time - restartedAt);
    const notRecovered = clients.reduce((sum, client) => sum + client.notRecovered, 0);
    const lines = [
      `| sockets | new process healthy after SIGTERM | back (p50 / p99 / last) after SIGTERM | last back after healthy | not back | recovered: false | feed gaps | feed duplicates |`,
      '|---|---|---|---|---|---|---|---|',
      `| ${clients.length} | ${ms(restartedAt - stormAt)} ms | ${ms(percentile(fromStorm, 50))} / ${ms(percentile(fromStorm, 99))} / ${ms(maximum(fromStorm))} ms | ${ms(maximum(fromRestart))} ms | ${clients.length - backTimes.length} | ${notRecovered} | ${gaps} | ${duplicates} |`,
      '',
      '| messages acknowledged | count | deliveries expected | delivered | lost | p50 ms | p99 ms | max ms |',
      '|---|---|---|---|---|---|---|---|',
      ...(['before', 'during', 'after'] as const).map((phase) => {
        const row = byPhase[phase];
        return `| ${phase} the storm | ${row.messages} | ${row.expected} | ${row.delivered} | ${row.expected - row.delivered} | ${ms(percentile(row.latencies, 50))} | ${ms(percentile(row.latencies, 99))} | ${ms(maximum(row.latencies))} |`;
      }),
      '',
      `Failed connection attempts: ${[...refusals].map(([why, count]) => `${why}: ${count}`).join('; ') || 'none'}.`,
      '',
      `Goals: every socket back and resumed within ${GOAL_BACK_MS / 1000} s, p99 of the messages sent meanwhile <= ${GOAL_P99_MS} ms, nothing lost. Sent: ${nextIndex}, acknowledged ${acked.size}, never acknowledged (sent into a closing socket: a real client's outbox sends them again) ${pending.size}.`,
    ];
    console.log(`\n${lines.join('\n')}`);
  } finally {
    stopping = true;
    for (const client of clients) client.ws?.terminate();
    await current.stop();
    await cleanUp();
  }
}
