// `npm run bench -- audit [--events N] [--rooms N] [--users N]`: the audit log's throughput beside the
// raw catch-up read rate of the same store. Loads N chat events straight into a fresh PostgreSQL event
// store, then times, in one run: a catch-up read of the whole store (the rate a projection or the
// sequencer can read at), sequencing the store into the audit log (leaves, nodes, frontiers), an export
// of every room (checkpoint, proofs, the file written), and the offline verifier over that file (one
// thread; CPU time beside wall time, since the machine may be shared), in this process and, as an auditor
// runs it, in a fresh one. Figures: docs/performance.md.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { exportAuditLog } from '../src/audit/exportAuditLog.ts';
import { sequenceAuditLog } from '../src/audit/postgresAuditLog.ts';
import { readEvents } from '../src/audit/scanEvents.ts';
import { generateNoteKeys, parseSignerKey, verifierKeyOf } from '../src/audit/signedNote.ts';
import { verifyExport } from '../src/audit/verifyExport.ts';
import { writeLines } from '../src/audit/writeLines.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { chatWorkload } from '../test/projections/support/chatWorkload.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { loadEvents } from './_loadEvents.ts';

/** wall seconds and this process's CPU seconds of `work` */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const result = await work();
  const cpu = process.cpuUsage(cpu0);
  return { result, wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/**
 * The verifier as an auditor runs it: in a process of its own with nothing else in its heap (this
 * process has loaded, sequenced and exported by then). Its own wall and CPU seconds, startup left out.
 */
async function verifyInFreshProcess(file: string, verifierKey: string) {
  const verifier = new URL('../src/audit/verifyExport.ts', import.meta.url).href;
  const script = `import { createReadStream } from 'node:fs';
    import { verifyExport } from ${JSON.stringify(verifier)};
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const result = await verifyExport(createReadStream(process.argv[1]), process.argv[2]);
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ events: result.ok ? result.export.events : -1,
      wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, verifierKey], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the fresh verifier exited with ${code}`);
  const measured = JSON.parse(output) as { events: number; wall: number; cpu: number };
  if (measured.events < 0) throw new Error('the export did not verify in a fresh process');
  return measured;
}

/**
 * Waits until readers see every loaded event: the store shows events below the cluster's oldest open
 * transaction, and on a shared database server another's open transaction holds them back.
 */
async function untilVisible(pool: pg.Pool, events: number): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ visible: number }>(
      'SELECT count(*)::int AS visible FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())',
    );
    if (rows[0]!.visible >= events) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const rate = (events: number, seconds: number) => Math.round(events / seconds).toLocaleString('en');

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '2000' },
      users: { type: 'string', default: '1000' },
    },
  });
  const count = Number(values.events);
  const database = await createTestDatabase('bench_audit');
  const pool = new pg.Pool({ connectionString: database.url, max: 6 });
  const store = createPostgresEventStore({ pool });
  const dir = await mkdtemp(join(os.tmpdir(), 'bench-audit-'));
  try {
    await migrate(database.url);
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, PostgreSQL ${rows[0]!.server_version}, Node ${process.version}`,
    );
    const loaded = await loadEvents(
      pool,
      chatWorkload(count, { rooms: Number(values.rooms), users: Number(values.users) }),
    );
    console.log(`loaded ${loaded} events`);
    await untilVisible(pool, loaded);

    const read = await timed(async () => {
      let events = 0;
      for await (const page of readEvents(store)) events += page.length;
      return events;
    });
    const sequenced = await timed(() => sequenceAuditLog(pool, store));
    const file = join(dir, 'all.jsonl');
    const signer = parseSignerKey(generateNoteKeys('bench.local/audit').signerKey);
    const exported = await timed(async () => {
      await writeLines(
        exportAuditLog(pool, store, signer, { scope: { all: true } }),
        createWriteStream(file),
      );
    });
    const { size } = await stat(file);
    const verifierKey = verifierKeyOf(signer);
    const verified = await timed(() => verifyExport(createReadStream(file), verifierKey));
    if (!verified.result.ok) throw new Error(`the export did not verify: ${verified.result.failure.reason}`);
    const exportedEvents = verified.result.export.events;
    const fresh = await verifyInFreshProcess(file, verifierKey);

    console.log(`| step | events | wall s | events/s (wall) | CPU s (this process) | events/CPU-s |`);
    console.log(`|---|---:|---:|---:|---:|---:|`);
    const row = (name: string, events: number, t: { wall: number; cpu: number }) =>
      console.log(
        `| ${name} | ${events} | ${t.wall.toFixed(1)} | ${rate(events, t.wall)} | ${t.cpu.toFixed(1)} | ${rate(events, t.cpu)} |`,
      );
    row('catch-up read of the store', read.result, read);
    row('sequence into the audit log', sequenced.result, sequenced);
    row('export --all (checkpoint, proofs, file)', exportedEvents, exported);
    row('verify the export (offline, one thread)', exportedEvents, verified);
    row('verify, in a fresh process (as `audit verify` runs)', fresh.events, fresh);
    console.log(
      `export file: ${(size / 2 ** 20).toFixed(0)} MiB (${Math.round(size / exportedEvents)} bytes per event); export ÷ catch-up: ${((read.wall / exported.wall) * 100).toFixed(0)} % (wall)`,
    );
  } finally {
    await store.close();
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
