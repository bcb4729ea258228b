// `npm run bench -- presence [--users=10000] [--hub-rooms=500] [--rounds=5]`: presence fan-out on the app as
// `npm start` runs it. N users in rooms of 10 (created over REST like the idle benchmark's), and one of
// them, the hub, also in `hub-rooms` rooms of 20 with people drawn from all of them. Measured:
//   - the wave: every user but the hub opens a user socket (/ws/chat/, 50 at a time): presence frames
//     delivered per second while they come online, and whether each user was told of every roommate who
//     came after them (a user socket's greeting carries no presence: what came before is not counted);
//   - the hub going online and offline `rounds` times with the others connected: from its socket's open
//     (its close) to the first and the last of its connected roommates told, presence's Redis commands
//     (counted with MONITOR: its scripts, keys and channel under this run's prefix, as the Redis is
//     shared) and the CPU of the app's main thread and of Redis (Redis's is the whole server's).
// PostgreSQL's CPU is the machine's (every helper's backends), so only the wave shows it.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { optionIn } from './_option.ts';
import { cpuBetween, sampleCpu } from './realtime/cpuSampler.ts';
import { connect } from './realtime/loadGenerator.ts';
import { type Scenario, startTarget } from './realtime.ts';

const MEMBERS = 10;
const HUB_ROOM_SIZE = 20;
const CONNECT_CONCURRENCY = 50;
/** frames stop coming for this long: the wave is over */
const QUIET_MS = 3_000;

type Person = {
  userId: string;
  token: string;
  url: string;
  roommates: Set<string>;
  /** the last status of each user this socket was told of */
  told: Map<string, string>;
  ws?: WebSocket;
};

const userOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;

export async function main(args: string[]) {
  const option = optionIn(args);
  const users = Number(option('users') ?? 10_000);
  const hubRooms = Number(option('hub-rooms') ?? 500);
  const rounds = Number(option('rounds') ?? 5);
  const scenario: Scenario = {
    name: 'presence',
    rooms: Math.ceil(users / MEMBERS),
    members: MEMBERS,
    rates: [],
  };
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load ${load()}`,
  );
  const { server, clients, cleanUp, env } = await startTarget('app', scenario, 'empty', {
    RATE_LIMITS: 'off',
  });
  const people = clients.map((client): Person => {
    const token = new URL(client.url).searchParams.get('token')!;
    const url = new URL(client.url);
    url.pathname = '/ws/chat/';
    return { userId: userOf(token), token, url: url.toString(), roommates: new Set(), told: new Map() };
  });
  const byId = new Map(people.map((person) => [person.userId, person]));
  const share = (members: Person[]) => {
    for (const a of members) for (const b of members) if (a !== b) a.roommates.add(b.userId);
  };
  for (let room = 0; room < clients.length / MEMBERS; room++)
    share(people.slice(room * MEMBERS, (room + 1) * MEMBERS));
  const monitor = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = env!.REDIS_PREFIX!;
  try {
    // the hub's rooms, with people spread over everyone
    const hub = people[0]!;
    const api = `http://127.0.0.1:${server.port}/api/chat`;
    let lastRoom = '';
    for (let room = 0; room < hubRooms; room++) {
      const members = Array.from(
        { length: HUB_ROOM_SIZE - 1 },
        (_, i) => people[1 + (((room * (HUB_ROOM_SIZE - 1) + i) * 7919) % (people.length - 1))]!,
      );
      const response = await fetch(`${api}/rooms/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `hub ${room}`,
          room_type: 'group',
          participant_ids: members.map((m) => m.userId),
        }),
      });
      if (!response.ok) throw new Error(`POST /rooms/ failed: ${response.status} ${await response.text()}`);
      lastRoom = ((await response.json()) as { id: string }).id;
      share([hub, ...members]);
    }
    for (const deadline = Date.now() + 120_000; ; ) {
      const response = await fetch(`${api}/rooms/${lastRoom}/`, {
        headers: { authorization: `Bearer ${hub.token}` },
      });
      if (response.ok) break;
      if (Date.now() > deadline) throw new Error('the hub rooms were not projected within 120 s');
      await sleep(250);
    }
    console.log(
      `${people.length} users in ${clients.length / MEMBERS} rooms of ${MEMBERS}; the hub in ${hubRooms} more of ${HUB_ROOM_SIZE} (${hub.roommates.size} roommates); load ${load()}`,
    );

    let frames = 0;
    let lastFrameAt = 0;
    const onFrame = (person: Person) => (_client: unknown, text: string) => {
      if (!text.startsWith('{"type":"presence"')) return;
      const frame = JSON.parse(text) as { user_id: string; status: string };
      frames += 1;
      lastFrameAt = performance.now();
      person.told.set(frame.user_id, frame.status);
    };
    const open = async (person: Person) => {
      person.ws = (await connect({ url: person.url, room: 0 }, onFrame(person))).ws;
    };

    // the wave: everyone but the hub comes online
    const others = people.slice(1);
    const pid = server.process.pid!;
    let cpu = await sampleCpu(pid);
    const started = performance.now();
    for (let i = 0; i < others.length; i += CONNECT_CONCURRENCY) {
      await Promise.all(others.slice(i, i + CONNECT_CONCURRENCY).map(open));
    }
    const connectedAt = performance.now();
    while (performance.now() - Math.max(lastFrameAt, connectedAt) < QUIET_MS) await sleep(100);
    const waveCpu = cpuBetween(cpu, await sampleCpu(pid));
    const waveSeconds = (lastFrameAt - started) / 1000;
    // told of every roommate who came online in a later batch of connects (within a batch the order is
    // the server's)
    const batchOf = new Map(others.map((person, i) => [person.userId, Math.floor(i / CONNECT_CONCURRENCY)]));
    let expected = 0;
    let missing = 0;
    for (const person of others) {
      for (const roommate of person.roommates) {
        if ((batchOf.get(roommate) ?? -1) <= batchOf.get(person.userId)!) continue;
        expected += 1;
        if (person.told.get(roommate) !== 'online') missing += 1;
      }
    }
    const cpuLine = (c: typeof waveCpu) =>
      `app main ${c.appMain.toFixed(1)} s, app other threads ${c.appOther.toFixed(1)} s, PostgreSQL ${c.postgres.toFixed(1)} s and Redis ${c.redis.toFixed(2)} s (the machine's: shared)`;
    console.log(
      `wave: ${others.length} users online in ${((connectedAt - started) / 1000).toFixed(1)} s; ${frames} presence frames by ${waveSeconds.toFixed(1)} s = ${Math.round(frames / waveSeconds)} frames/s; ` +
        `told of a later roommate: ${expected - missing} of ${expected} (${missing} missing); CPU ${cpuLine(waveCpu)}; load ${load()}`,
    );

    // the hub online and offline, the others connected
    const connected = [...hub.roommates].map((id) => byId.get(id)!).filter((person) => person.ws);
    const commands = new Map<string, number>();
    const monitored = await monitor.monitor();
    monitored.on('monitor', (_time: string, argv: string[], source: string) => {
      // presence's only: its scripts (the prefix is their first argument) and its keys and channel; the
      // app's job queues share the prefix
      const command = argv[0]!.toUpperCase();
      const ofPresence = (arg: string) =>
        arg.startsWith(`${prefix}presence:`) || arg === `${prefix}rt:presence`;
      if (!(command === 'EVAL' && argv[3] === prefix) && !argv.some(ofPresence)) return;
      // presenceStore.ts's scripts told apart by their arguments: a report (node, user, state) or the
      // node's heartbeat and sweep (node, beat), which runs on its own clock whatever the users do
      const script = argv.length === 8 ? 'report' : 'heartbeat';
      const name =
        command === 'EVAL' ? `script ${script}` : source.includes('lua') ? `in scripts ${command}` : command;
      commands.set(name, (commands.get(name) ?? 0) + 1);
    });
    /** ms until the first of the hub's connected roommates is told, and until all are */
    const told = async (status: string, since: number) => {
      let first: number | undefined;
      for (;;) {
        if (first === undefined && connected.some((person) => person.told.get(hub.userId) === status))
          first = performance.now() - since;
        if (connected.every((person) => person.told.get(hub.userId) === status))
          return `${first!.toFixed(0)} / ${(performance.now() - since).toFixed(0)}`;
        if (performance.now() - since > 60_000) throw new Error(`the hub's ${status} did not reach everyone`);
        await sleep(5);
      }
    };
    const lines = [
      `| round | online: first / all ${connected.length} roommates told (ms) | offline: first / all told (ms) | presence's Redis commands, online and offline | CPU app main / Redis (s) |`,
      '|---|---:|---:|---|---|',
    ];
    for (let round = 1; round <= rounds; round++) {
      commands.clear();
      cpu = await sampleCpu(pid);
      const t0 = performance.now();
      await open(hub);
      const online = await told('online', t0);
      const t1 = performance.now();
      hub.ws!.close();
      const offline = await told('offline', t1);
      const spent = cpuBetween(cpu, await sampleCpu(pid));
      const kind = (name: string) =>
        name.startsWith('script ') ? 0 : name.startsWith('in scripts ') ? 1 : 2;
      const counted = ['scripts', 'inside them', 'outside scripts']
        .map((label, k) => {
          const of = [...commands].filter(([name]) => kind(name) === k).sort();
          const list = of.map(([name, n]) => `${name.replace(/^(script|in scripts) /, '')} ${n}`).join(', ');
          return `${label}: ${list || 'none'}`;
        })
        .join('; ');
      lines.push(
        `| ${round} | ${online} | ${offline} | ${counted} | ${spent.appMain.toFixed(2)} / ${spent.redis.toFixed(2)} |`,
      );
      console.log(lines.at(-1));
      await sleep(1_000);
    }
    monitored.disconnect();
    console.log(`\n${lines.join('\n')}\nload ${load()}`);
  } finally {
    for (const person of people) person.ws?.terminate();
    monitor.disconnect();
    await server.stop();
    await cleanUp();
  }
}
