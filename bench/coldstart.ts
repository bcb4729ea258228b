// `npm run bench -- coldstart [--runs=3]`: the time from starting `node src/main.ts` to a ready /readyz
// (200), in the two ways a newcomer starts it: on the machine's PostgreSQL (a fresh database each run) and
// with DATABASE_URL unset and no PostgreSQL on the address, on an embedded one (a fresh data directory:
// initdb included; then a second start on the same directory). Results: docs/performance.md, "Cold start".
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Seconds from spawn to /readyz 200; then SIGTERM and wait for the exit. */
async function timeToReady(env: Record<string, string | undefined>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=64', MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return (performance.now() - started) / 1000;
      if (child.exitCode !== null) throw new Error(`src/main.ts exited with ${child.exitCode}`);
      await sleep(50);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function main(args: string[]): Promise<void> {
  const runs = Number(args.find((arg) => arg.startsWith('--runs='))?.slice(7) ?? 3);
  const admin = new pg.Client(ADMIN_URL);
  await admin.connect();
  const rows: [string, number[]][] = [
    ['machine PostgreSQL, new database', []],
    ['embedded PostgreSQL, new directory (initdb)', []],
    ['embedded PostgreSQL, existing directory', []],
  ];
  try {
    for (let run = 0; run < runs; run++) {
      const name = `bench_coldstart_${process.pid}_${run}`;
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        rows[0]![1].push(
          await timeToReady({
            DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`,
            REDIS_PREFIX: `${name}:`,
          }),
        );
      } finally {
        await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      }
      const dir = await mkdtemp(join(os.tmpdir(), 'chat-coldstart-'));
      await chmod(dir, 0o777); // as root, PostgreSQL runs as another user
      try {
        const embedded = {
          DATABASE_URL: undefined,
          EMBEDDED_POSTGRES_PORT: String(await freePort()),
          EMBEDDED_POSTGRES_DIR: join(dir, 'postgres'),
          REDIS_PREFIX: `${name}_e:`,
        };
        rows[1]![1].push(await timeToReady(embedded));
        rows[2]![1].push(await timeToReady(embedded));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await admin.end();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `${os.cpus().length} × ${os.cpus()[0]?.model}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('| start | median to /readyz 200 | runs (s) |\n|---|---:|---|');
  for (const [label, values] of rows) {
    console.log(
      `| ${label} | ${median(values).toFixed(1)} s | ${values.map((v) => v.toFixed(1)).join(', ')} |`,
    );
  }
}
