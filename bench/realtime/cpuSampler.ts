// CPU time spent by the processes under test, read from /proc (Linux): the app's main thread, its other
// threads (the projector's worker thread, V8's helpers), PostgreSQL and Redis. Differences between two
// samples, divided by the messages of a step, give CPU per message: a cost that, unlike latency, does not
// depend on what else the machine is doing. PostgreSQL's CPU is that of the server holding the database
// under test (its postmaster and the postmaster's children), so another cluster on the machine is not counted;
// a backend that ended between two samples counts through its postmaster, which reaped it (the CPU of the
// children a process waited for is in its own stat file), so the figure never goes backwards.
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

export type CpuSample = { appMain: number; appOther: number; postgres: number; redis: number };

export const TICKS_PER_SECOND = 100; // USER_HZ on Linux

type TaskTicks = {
  name: string;
  parent: number;
  /** user + system */
  ticks: number;
  /** user + system of the children it waited for (ended ones) */
  reapedTicks: number;
};

/** a process's or thread's name, parent and CPU ticks from its stat file; null once it ended */
export async function ticksOf(statPath: string): Promise<TaskTicks | null> {
  try {
    const stat = await readFile(statPath, 'utf8');
    // the name is in parentheses and may contain spaces; the counters follow the closing one
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return {
      name,
      parent: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]), // utime + stime
      reapedTicks: Number(fields[13]) + Number(fields[14]), // cutime + cstime
    };
  } catch {
    return null; // the process or thread ended meanwhile
  }
}

/** every process's ticks, by pid */
async function allProcesses(): Promise<Map<number, TaskTicks>> {
  const processes = new Map<number, TaskTicks>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const entry = await ticksOf(`/proc/${pid}/stat`);
    if (entry) processes.set(Number(pid), entry);
  }
  return processes;
}

/**
 * The CPU of a PostgreSQL server's processes (of every server when `postmaster` is not given), ended
 * backends included: a postmaster's reaped children's ticks are counted with its own.
 */
function postgresTicks(processes: Map<number, TaskTicks>, postmaster?: number): number {
  let total = 0;
  for (const [pid, task] of processes) {
    if (task.name !== 'postgres') continue;
    const isPostmaster =
      postmaster === undefined ? processes.get(task.parent)?.name !== 'postgres' : pid === postmaster;
    if (isPostmaster) total += task.ticks + task.reapedTicks;
    else if (postmaster === undefined || task.parent === postmaster) total += task.ticks;
  }
  return total;
}

/**
 * The postmaster of the PostgreSQL server holding `databaseUrl`, or undefined when it cannot be told (a
 * server on another machine, or its data directory unreadable): then every PostgreSQL process counts.
 */
export async function postgresServerPid(databaseUrl: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    const pidFile = await readFile(`${rows[0]!.data_directory}/postmaster.pid`, 'utf8');
    return Number(pidFile.split('\n')[0]);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Seconds of CPU so far; `appPid` is the app's process (its threads are told apart), `postgresPid` the
 * postmaster of the server under test (every PostgreSQL process when not given).
 */
export async function sampleCpu(appPid: number, postgresPid?: number): Promise<CpuSample> {
  let appMain = 0;
  let appOther = 0;
  const tasks = await readdir(`/proc/${appPid}/task`).catch(() => []);
  for (const task of tasks) {
    const entry = await ticksOf(`/proc/${appPid}/task/${task}/stat`);
    if (!entry) continue;
    if (task === String(appPid)) appMain += entry.ticks;
    else appOther += entry.ticks;
  }
  const processes = await allProcesses();
  const postgres = postgresTicks(processes, postgresPid);
  let redis = 0;
  for (const task of processes.values()) if (task.name.startsWith('redis-server')) redis += task.ticks;
  const seconds = (ticks: number) => ticks / TICKS_PER_SECOND;
  return {
    appMain: seconds(appMain),
    appOther: seconds(appOther),
    postgres: seconds(postgres),
    redis: seconds(redis),
  };
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuSample {
  return {
    appMain: after.appMain - before.appMain,
    appOther: after.appOther - before.appOther,
    postgres: after.postgres - before.postgres,
    redis: after.redis - before.redis,
  };
}
