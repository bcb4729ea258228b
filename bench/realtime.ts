// `npm run bench -- realtime [--quick] [--hold=30] [--soak=300] [--store=empty|full|both] [--only=relay|app]
//   [--scenario=busy|big] [--rates=3000,4000] [--moderation] [--no-write]   (--moderation: 1,000 words and 10
//   regexes in the moderation policy, none matching the load: the cost of judging every send)
// Realtime load: real WebSocket clients in a separate process against (1) the app as `npm start` runs it
// (PostgreSQL event store, projector, Redis fan-out) and (2) a bare ws relay with no persistence, the
// ceiling on this machine. Two scenarios, each with a rising total send rate held for --hold seconds
// after a warm-up (a short step hides a queue that never drains):
//   busy rooms: 100 rooms x 10 members, every member sending
//   big room:   1 room x 1,000 members
// --soak=S holds one rate (busy rooms, 2,000 msg/s unless --rates says) for S seconds. --store=full runs the
// app on a store of 10 million events in 10,000 rooms (filled once, kept: bench/realtime/fullStore.ts).
// Reports sent/s, deliveries/s, send -> delivery latency p50/p95/p99 over the whole step and p99 per 5-s
// window of sending, lost and duplicated, CPU per delivered and per stored message (the app's main thread,
// its other threads, PostgreSQL), the store's size before and after, and the highest rate whose whole-step
// and last-window p99 are both <= 100 ms with nothing lost; writes it into docs/performance.md
// (## Realtime) when run whole.
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { SignJWT } from 'jose';
import { createTestDatabase } from '../test/support/database.ts';
import { optionIn } from './_option.ts';
import { type CpuSample, cpuBetween, postgresServerPid, sampleCpu } from './realtime/cpuSampler.ts';
import { fullStore, type StoreSize, storeSize } from './realtime/fullStore.ts';
import type { GeneratorClient, GeneratorConfig, StepResult } from './realtime/loadGenerator.ts';
import { runGenerator, type Server, startApp, startBareRelay } from './realtime/processes.ts';

const SECRET = 'bench-secret-that-is-at-least-32-characters';
const P99_GOAL_MS = 100;
const WINDOW_SECONDS = 5;
const FULL_STORE_EVENTS = 10_000_000;

type Store = 'empty' | 'full';
/** A step, with what the machine spent on it (app targets only). */
type Measured = StepResult & { cpu?: CpuSample };

export type Scenario = { name: string; rooms: number; members: number; rates: number[] };
export type Target = 'relay' | 'app';

const SCENARIOS: Scenario[] = [
  {
    name: 'busy rooms (100 x 10)',
    rooms: 100,
    members: 10,
    rates: [500, 1000, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000],
  },
  {
    name: 'big room (1 x 1,000)',
    rooms: 1,
    members: 1000,
    rates: [10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 400, 500, 600, 800],
  },
];

async function mintToken(userId: string) {
  return new SignJWT({ sub: userId, username: `bench-${userId.slice(0, 8)}`, token_type: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
}

/**
 * `--moderation`: the policy issue 12 measures the send path under, set over REST before the clients
 * connect: one rule of 1,000 words and 10 regular expressions, none of which the load's messages contain,
 * so every send is judged in full and allowed.
 */
async function loadModerationPolicy(port: number) {
  const token = await new SignJWT({ sub: randomUUID(), roles: ['moderator'], token_type: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
  const rules = [
    // 1,000 words: 900 whole, 100 with a wildcard
    {
      name: 'bench words',
      action: 'flag',
      match: {
        kind: 'words',
        words: Array.from({ length: 1000 }, (_, i) => `zqword${i}${i < 100 ? '*' : ''}`),
      },
    },
    ...Array.from({ length: 10 }, (_, i) => ({
      name: `bench pattern ${i}`,
      action: 'bounce',
      match: { kind: 'regex', pattern: `(?i)forbidden-${i}-[0-9]{3,}-(alpha|beta|gamma)` },
    })),
  ];
  for (const rule of rules) {
    const response = await fetch(`http://127.0.0.1:${port}/api/moderation/rules/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    if (!response.ok) throw new Error(`moderation rule refused: ${response.status} ${await response.text()}`);
  }
}

/** Rooms and tokens in the app, created over REST like a client would. */
async function appClients(port: number, scenario: Scenario): Promise<GeneratorClient[]> {
  const clients: GeneratorClient[] = [];
  let lastRoom: { id: string; token: string } | undefined;
  for (let room = 0; room < scenario.rooms; room++) {
    const users = Array.from({ length: scenario.members }, () => randomUUID());
    const tokens = await Promise.all(users.map(mintToken));
    const post = async (path: string, body: object) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/chat${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`POST ${path} failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string };
    };
    // a room is created with at most 500 others; the rest join one by one
    const { id } = await post('/rooms/', {
      name: `bench ${room}`,
      room_type: 'group',
      participant_ids: users.slice(1, 500),
    });
    for (const user of users.slice(500)) await post(`/rooms/${id}/participants/`, { user_id: user });
    for (const token of tokens)
      clients.push({ url: `ws://127.0.0.1:${port}/ws/chat/${id}/?token=${token}`, room });
    lastRoom = { id, token: tokens.at(-1)! };
  }
  // the projector works in the order of the store: once the last member of the last room sees it, all do
  const deadline = Date.now() + 120_000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/api/chat/rooms/${lastRoom!.id}/`, {
      headers: { authorization: `Bearer ${lastRoom!.token}` },
    });
    if (response.ok) break;
    if (Date.now() > deadline) throw new Error('the rooms were not projected within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return clients;
}

function relayClients(port: number, scenario: Scenario): GeneratorClient[] {
  const clients: GeneratorClient[] = [];
  for (let room = 0; room < scenario.rooms; room++) {
    for (let member = 0; member < scenario.members; member++) {
      clients.push({ url: `ws://127.0.0.1:${port}/ws/chat/room-${room}/?user=${room}-${member}`, room });
    }
  }
  return clients;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const perMessage = (seconds: number, messages: number) =>
  messages > 0 ? ((seconds * 1000) / messages).toFixed(3) : '-';

function row(target: Target, store: Store, result: Measured) {
  const lastWindow = result.windows.at(-1);
  const cpu = result.cpu;
  const cpuCells = cpu
    ? `${perMessage(cpu.appMain + cpu.appOther, result.delivered)} | ${perMessage(cpu.appMain, result.sent)} / ${perMessage(cpu.appOther, result.sent)} / ${perMessage(cpu.postgres, result.sent)}`
    : '- | -';
  return `| ${target} | ${store} | ${result.targetRate} | ${result.sentPerSecond} | ${result.deliveriesPerSecond} | ${ms(result.p50)} | ${ms(result.p99)} | ${ms(lastWindow?.p99 ?? Number.NaN)} | ${result.windows.map((window) => ms(window.p99)).join(' ')} | ${result.windows.map((window) => ms(window.generatorDelayMax)).join(' ')} | ${ms(result.ackP50)} | ${ms(result.ackP99)} | ${result.lost} | ${result.duplicated} | ${cpuCells} |`;
}

/** A step passes when the whole step and its last window are within the goal: no queue still growing. */
const passes = (result: StepResult) =>
  result.p99 <= P99_GOAL_MS &&
  (result.windows.at(-1)?.p99 ?? Number.POSITIVE_INFINITY) <= P99_GOAL_MS &&
  result.lost === 0 &&
  result.duplicated === 0;

function best(results: StepResult[]): StepResult | undefined {
  return results.filter(passes).sort((a, b) => b.sentPerSecond - a.sentPerSecond)[0];
}

const megabytes = (size: StoreSize) => `${size.events} events, ${(size.bytes / 2 ** 20).toFixed(0)} MB`;

export async function main(args: string[]) {
  const option = optionIn(args);
  const quick = args.includes('--quick');
  const moderation = args.includes('--moderation');
  const only = option('only') as Target | undefined;
  const targets: Target[] = only ? [only] : ['relay', 'app'];
  const soakSeconds = option('soak') === undefined ? undefined : Number(option('soak'));
  const stepSeconds = soakSeconds ?? Number(option('hold') ?? (quick ? 6 : 30));
  const storeOption = option('store') ?? 'empty';
  const stores: Store[] = storeOption === 'both' ? ['empty', 'full'] : [storeOption as Store];
  // --scenario=busy|big and --rates=500,1000 narrow a run down (profiling: BENCH_APP_NODE_OPTIONS=--cpu-prof)
  const scenarioFilter = option('scenario') ?? (soakSeconds ? 'busy' : undefined);
  const rates = (option('rates') ?? (soakSeconds ? '2000' : undefined))?.split(',').map(Number);
  const scenarios = SCENARIOS.filter(
    (scenario) => !scenarioFilter || scenario.name.startsWith(scenarioFilter),
  ).map((scenario) => (rates ? { ...scenario, rates } : scenario));
  const lines: string[] = [];
  const loadAtStart = os.loadavg()[0]!.toFixed(1);
  const summary: string[] = [];

  for (const scenario of scenarios) {
    lines.push(
      '',
      `### ${scenario.name}`,
      '',
      `| target | store | rate (msg/s) | sent/s | deliveries/s | p50 ms | p99 ms | last ${WINDOW_SECONDS}-s p99 | p99 by ${WINDOW_SECONDS}-s window | load generator's event-loop delay, max by window (ms) | ack p50 ms | ack p99 ms | lost | duplicated | app CPU ms per delivery | CPU ms per stored message: main / other threads / PostgreSQL |`,
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    const bestOf: Partial<Record<string, StepResult>> = {};
    type Run = { target: Target; store: Store };
    const runs = targets.flatMap((target): Run[] =>
      target === 'relay' ? [{ target, store: 'empty' }] : stores.map((store) => ({ target, store })),
    );
    for (const { target, store } of runs) {
      console.log(`\n${scenario.name} against ${target}${target === 'app' ? ` (${store} store)` : ''}`);
      const { server, clients, cleanUp, size, env } = await startTarget(target, scenario, store);
      try {
        if (moderation && target === 'app') await loadModerationPolicy(server.port);
        const config: GeneratorConfig = {
          clients,
          rates: scenario.rates,
          stepSeconds,
          windowSeconds: WINDOW_SECONDS,
          drainMs: 3_000,
          stopAboveP99Ms: 3_000,
          connectConcurrency: 50,
        };
        const sizeBefore = size ? await size() : undefined;
        let cpuAtStart: CpuSample | undefined;
        const appPid = target === 'app' ? server.process.pid : undefined;
        const postgresPid = env ? await postgresServerPid(env.DATABASE_URL) : undefined;
        const results = await runGenerator(
          config,
          (result) => console.log(row(target, store, result)),
          () => {
            if (!appPid) return;
            void sampleCpu(appPid, postgresPid).then((sample) => {
              cpuAtStart = sample;
            });
          },
          async (result) => {
            if (!appPid || !cpuAtStart) return result;
            return { ...result, cpu: cpuBetween(cpuAtStart, await sampleCpu(appPid, postgresPid)) };
          },
        );
        lines.push(...results.map((result) => row(target, store, result)));
        const sizeAfter = size ? await size() : undefined;
        if (sizeBefore && sizeAfter) {
          lines.push(
            `| | ${store} store: ${megabytes(sizeBefore)} before, ${megabytes(sizeAfter)} after | | | | | | | | | | | | | |`,
          );
        }
        bestOf[`${target}|${store}`] = best(results);
      } finally {
        await server.stop();
        await cleanUp();
      }
    }
    for (const { target, store } of runs) {
      const top = bestOf[`${target}|${store}`];
      summary.push(
        `- ${scenario.name}, ${target}${target === 'app' ? `, ${store} store` : ''}: ${top ? `${top.sentPerSecond} msg/s sent, ${top.deliveriesPerSecond} deliveries/s` : 'no step'} with p99 <= ${P99_GOAL_MS} ms over the step and its last ${WINDOW_SECONDS} s, nothing lost`,
      );
    }
    bestOf.app = bestOf['app|empty'];
    bestOf.relay = bestOf['relay|empty'];
    if (bestOf.app && bestOf.relay) {
      const share = (bestOf.app.deliveriesPerSecond / bestOf.relay.deliveriesPerSecond) * 100;
      summary.push(`  - app / bare relay deliveries/s: ${share.toFixed(0)} %`);
    }
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const section = [
    '## Realtime',
    '',
    `Command: \`npm run bench -- realtime${args.length > 0 ? ` ${args.join(' ')}` : ''}\` (${new Date().toISOString().slice(0, 10)}). Machine: ${machine}; the load generator, the server and PostgreSQL/Redis share it (1-minute load average ${loadAtStart} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end: other work on the machine shows up as latency).`,
    `Each step sends for ${stepSeconds} s at the given total rate, round-robin over all clients; latency is send -> delivery at each receiving client (every member, the sender too), also by ${WINDOW_SECONDS}-s window of sending; lost = expected deliveries not seen within 3 s after the step. A first unreported step at the lowest rate warms up; rising stops after a step with p99 > 3 s or a loss. A step passes when its whole p99 and its last window's p99 are <= ${P99_GOAL_MS} ms with nothing lost. Beside each window's p99, the longest the load generator's own event loop was held up in it: latency it measured late itself. CPU comes from /proc: the app process's main thread, its other threads (the projector thread, V8's helpers), and the PostgreSQL server under test (its postmaster's processes), over the step, divided by the messages delivered or stored.`,
    "The app runs as `npm start` does (its projector in a worker thread). The bare relay (`bench/realtime/bareRelay.ts`) writes through the app's own socket wrapper, so both coalesce the frames a socket gets in one event-loop turn into one write: the relay is the ceiling of the delivery path itself.",
    '',
    '**Highest rate with p99 <= 100 ms and nothing lost:**',
    '',
    ...summary,
    '',
    'Where the time goes, what limits the app and how the goals stand: [realtime.md](realtime.md#performance-where-the-time-goes).',
    ...lines,
    '',
  ].join('\n');
  console.log(`\n${section}`);
  const partial = only || scenarioFilter || rates || option('hold') || soakSeconds || option('store');
  if (!args.includes('--no-write') && !partial) await writeSection(section);
}

/** `environment` adds to or overrides the app's settings (the app target only). */
export async function startTarget(
  target: Target,
  scenario: Scenario,
  store: Store,
  environment: Record<string, string> = {},
  nodeOptions: string[] = [],
) {
  if (target === 'relay') {
    const server = await startBareRelay(nodeOptions);
    return {
      server,
      clients: relayClients(server.port, scenario),
      cleanUp: async () => {},
      size: undefined,
      env: undefined,
    };
  }
  const database =
    store === 'full'
      ? { url: await fullStore(FULL_STORE_EVENTS), drop: async () => {} } // kept for the next run
      : await createTestDatabase('bench_realtime');
  let server: Server | undefined;
  try {
    const env = {
      DATABASE_URL: database.url,
      PORT: String(18_000 + Math.floor(Math.random() * 1000)),
      HOST: '127.0.0.1',
      CHAT_JWT_SECRET: SECRET,
      REDIS_PREFIX: `bench:${randomUUID().slice(0, 8)}:`,
      LOG_LEVEL: 'warn',
      // one address stands for thousands of users here: the per-address caps (meant for an office NAT)
      // are off. Per-user limits stay on, set above the load's per-user rate, so their checking is paid
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
      HTTP_MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP: '0',
      RATE_LIMIT_SEND_PER_SECOND: '50',
      RATE_LIMIT_SEND_BURST: '100',
      // the big room's setup adds 500 members one by one, as one user
      RATE_LIMIT_WRITE_PER_SECOND: '1000',
      RATE_LIMIT_WRITE_BURST: '1000',
      ...environment,
    };
    server = await startApp(env, nodeOptions);
    const clients = await appClients(server.port, scenario);
    return { server, clients, cleanUp: () => database.drop(), size: () => storeSize(database.url), env };
  } catch (error) {
    await server?.stop();
    await database.drop();
    throw error;
  }
}

/** Replaces the `## Realtime` section of docs/performance.md (other sections belong to other benchmarks). */
async function writeSection(section: string) {
  const file = new URL('../docs/performance.md', import.meta.url);
  const current = await readFile(file, 'utf8').catch(() => '# Performance\n');
  const start = current.indexOf('\n## Realtime');
  let next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
  if (next < 0) next = current.length;
  const updated =
    start < 0
      ? `${current.trimEnd()}\n\n${section}`
      : `${current.slice(0, start).trimEnd()}\n\n${section}${current.slice(next)}`;
  await writeFile(file, `${updated.trimEnd()}\n`);
}
