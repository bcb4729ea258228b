// `npm run bench -- idle [--sockets=10000] [--only=relay|app] [--hold=SECONDS] [--gc] [--snapshots]`: what
// an idle connected socket costs the server. Connects N room sockets (rooms of 10 members, created over
// REST like the realtime benchmark's) to the bare relay and to the app as `npm start` runs it, lets them
// sit, and reads the server process's resident memory (/proc/<pid>/status VmRSS) before and after: the difference over N is the memory per
// socket. Read twice after settling (10 s, then 20 s more) so that garbage of the connecting burst that V8
// has not collected yet shows as a falling figure rather than as cost.
// `--snapshots` also has the app write a heap snapshot before connecting and 10 s after (start it with
// BENCH_APP_NODE_OPTIONS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR"); compare the two by
// constructor (DevTools' Comparison view). Writing a snapshot grows the process: that run's RSS is no figure.
// `--hold=SECONDS` keeps the sockets open longer and prints the server's RSS every 30 s after the first 30.
// `--gc` starts the server with its inspector open and reads its memory before connecting and at the end,
// as found and after a full collection in every thread (bench/realtime/memoryProbe.ts): resident memory
// without the garbage, split into the main thread's V8 heap (used, committed, the young generation of it),
// the worker threads' heaps, what V8 counts outside its heap and the rest of the resident memory (native
// objects, malloc's arenas, code).
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { optionIn } from './_option.ts';
import { connect } from './realtime/loadGenerator.ts';
import { inspectorOptions, type MemoryReading, readMemory, residentBytes } from './realtime/memoryProbe.ts';
import { type Scenario, startTarget, type Target } from './realtime.ts';

const MEMBERS = 10;
const CONNECT_CONCURRENCY = 50;

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

export async function main(args: string[]) {
  const option = optionIn(args);
  const sockets = Number(option('sockets') ?? 10_000);
  const only = option('only') as Target | undefined;
  const targets: Target[] = only ? [only] : ['relay', 'app'];
  const snapshots = args.includes('--snapshots');
  const gc = args.includes('--gc');
  const holdSeconds = Number(option('hold') ?? 30);
  const scenario: Scenario = {
    name: 'idle',
    rooms: Math.ceil(sockets / MEMBERS),
    members: MEMBERS,
    rates: [],
  };
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const lines = [
    '| target | sockets | server RSS before | after 10 s | after 30 s | per socket (30 s) |',
    '|---|---|---|---|---|---|',
  ];
  const memory = [
    '| target | sockets | reading | RSS | main heap used | main heap committed | of it young generation | worker heaps committed | external (main) | RSS outside the heaps |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const target of targets) {
    const inspectorPort = 19_000 + Math.floor(Math.random() * 1000);
    const { server, clients, cleanUp } = await startTarget(
      target,
      scenario,
      'empty',
      {},
      gc ? inspectorOptions(inspectorPort) : [],
    );
    const open: WebSocket[] = [];
    try {
      const pid = server.process.pid!;
      await sleep(3_000);
      const before = await residentBytes(pid);
      const memoryBefore = gc ? await readMemory(pid, inspectorPort) : undefined;
      if (snapshots && target === 'app') {
        process.kill(pid, 'SIGUSR2');
        await sleep(10_000); // written before the first socket connects (a snapshot stops the process)
      }
      const started = performance.now();
      for (let i = 0; i < clients.length; i += CONNECT_CONCURRENCY) {
        const batch = clients.slice(i, i + CONNECT_CONCURRENCY).map((client) => connect(client, () => {}));
        open.push(...(await Promise.all(batch)).map((client) => client.ws));
      }
      console.log(
        `${target}: ${open.length} sockets connected in ${Math.round(performance.now() - started)} ms`,
      );
      await sleep(10_000);
      const settled = await residentBytes(pid);
      if (snapshots && target === 'app') process.kill(pid, 'SIGUSR2');
      await sleep(20_000);
      const after = await residentBytes(pid);
      // whether V8 gives the burst's garbage back by itself when the server stays idle longer
      for (let waited = 30; waited < holdSeconds; waited += 30) {
        await sleep(30_000);
        console.log(
          `${target}: RSS ${waited + 30} s after connecting: ${(await residentBytes(pid)) / 2 ** 20} MiB`,
        );
      }
      lines.push(
        `| ${target} | ${open.length} | ${(before / 2 ** 20).toFixed(0)} MiB | ${(settled / 2 ** 20).toFixed(0)} MiB | ${(after / 2 ** 20).toFixed(0)} MiB | ${kib((after - before) / open.length)} KiB |`,
      );
      console.log(lines.at(-1));
      if (memoryBefore) {
        const memoryAfter = await readMemory(pid, inspectorPort);
        const row = (reading: string, figures: (key: 'found' | 'collected') => string[]) => {
          memory.push(`| ${target} | ${open.length} | ${reading} | ${figures('found').join(' | ')} |`);
          memory.push(`| | | ${reading}, after a full GC | ${figures('collected').join(' | ')} |`);
        };
        const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
        const perSocket = (bytes: number) => `${kib(bytes / open.length)} KiB`;
        row('before connecting', (key) => columns(memoryBefore[key]).map(mib));
        row('at the end', (key) => columns(memoryAfter[key]).map(mib));
        row('per socket', (key) => {
          const after = columns(memoryAfter[key]);
          return columns(memoryBefore[key]).map((before, index) => perSocket(after[index]! - before));
        });
        console.log(memory.slice(-6).join('\n'));
      }
    } finally {
      for (const ws of open) ws.terminate();
      await server.stop();
      await cleanUp();
    }
  }
  console.log(`\n${lines.join('\n')}`);
  if (gc) console.log(`\n${memory.join('\n')}`);
}

/** the memory table's columns after its first three */
function columns(reading: MemoryReading): number[] {
  const { rss, main, workers } = reading;
  return [
    rss,
    main.heapUsed,
    main.heapTotal,
    main.newSpace,
    workers.heapTotal,
    main.external,
    rss - main.heapTotal - workers.heapTotal,
  ];
}
