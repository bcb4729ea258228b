// `npm run chat -- <command>`: operations on a running deployment.
//   projections status              each projection's position, head, lag and state (--json for scripts)
//   projections rebuild [name...]   rebuild projections (all without a name) from position 0 beside the
//                                   live ones and swap
//   jobs status                     each job queue's waiting (depth), active, delayed, failed and stalled
//                                   counts (--json for scripts)
//   audit replay|export|verify|key|keygen   the auditors' history and verifiable exports
//                                   (src/audit/auditCli.ts; verify and keygen need no database)
//   privacy keys|rewrap|migrate      data keys per master key, master key rotation, the one-time
//                                   migration of a plaintext store (src/privacy/privacyCli.ts)
//   token --user ID [--name NAME] [--roles moderator,auditor,ops] [--ttl 1h]
//                                   an access token the service accepts (src/auth/tokenCommand.ts)
// Uses DATABASE_URL / EVENTSTORE_URL like the server; only `token` reads the token settings.
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type pg from 'pg';
import { pino } from 'pino';
import { AUDIT_USAGE, AuditUsageError, runAuditCommand, runOfflineAuditCommand } from './audit/auditCli.ts';
import { mintTokenFor, parseTokenArguments, TOKEN_USAGE, TokenCommandError } from './auth/tokenCommand.ts';
import { loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';
import type { EventStore } from './eventstore/eventStore.ts';
import { createInfrastructure, type Infrastructure } from './infrastructure/createInfrastructure.ts';
import { createRedisConnection } from './infrastructure/redisConnection.ts';
import { jobQueueStatuses } from './jobs/jobStatus.ts';
import { JOBS } from './jobs/registry.ts';
import { jobQueue } from './jobs/startJobs.ts';
import { PRIVACY_USAGE, PrivacyUsageError, runPrivacyCommand } from './privacy/privacyCli.ts';
import { progressBar } from './progressBar.ts';
import { discardChanges } from './projections/changeFeed.ts';
import { readCheckpoint, requestRebuild } from './projections/checkpoints.ts';
import type { Projection } from './projections/projection.ts';
import { startProjections } from './projections/projectionRunner.ts';
import { type ProjectionStatus, projectionStatus } from './projections/projectionStatus.ts';
import { PROJECTIONS, projectionNamed } from './projections/registry.ts';

const NAMES = PROJECTIONS.map((projection) => projection.name);
const USAGE = `usage: npm run chat -- projections status [--json]
       npm run chat -- projections rebuild [${NAMES.join('|')} ...]
       npm run chat -- jobs status [--json]
${TOKEN_USAGE.replace('usage:', '      ')}
${AUDIT_USAGE.replaceAll('usage:', '      ')}
${PRIVACY_USAGE.replaceAll('usage:', '      ')}`;

// the CLI checks no tokens, so a deployment's token settings are optional here
const config = loadConfig({ CHAT_JWT_SECRET: 'cli-does-not-verify-tokens-000000', ...process.env });

function formatStatus(status: ProjectionStatus): string {
  const lines = [
    `${status.name}: ${status.state}  version ${status.version ?? '-'} (code ${status.codeVersion})  generation ${status.generation ?? '-'}`,
    `  position ${status.position}`,
    `  head     ${status.head ?? '(empty store)'}`,
    `  lag      ${status.lag} events   updated ${status.updatedAt ?? '-'}`,
  ];
  if (status.rebuild) {
    const r = status.rebuild;
    lines.push(
      `  rebuild  ${r.state} ${(r.progress * 100).toFixed(1)}%  ${r.eventsProcessed} events  ${r.eventsPerSecond} events/s  since ${r.startedAt}`,
    );
  }
  return lines.join('\n');
}

/** Rebuilds `projections` one after another, each with its progress bar. */
async function rebuild(
  pool: pg.Pool,
  eventStore: EventStore,
  projections: readonly Projection[],
): Promise<void> {
  const statuses = await projectionStatus(pool, eventStore, projections);
  // with no server leading, this process projects until the rebuilds are swapped in (nobody is
  // connected to miss a live frame); otherwise the leader does it and we only watch
  const runner = statuses.every((status) => status.state === 'stopped' || status.state === 'not_started')
    ? await startProjections({ pool, eventStore, projections: PROJECTIONS, publisher: discardChanges })
    : null;
  try {
    for (const projection of projections) await rebuildOne(pool, eventStore, projection);
  } finally {
    await runner?.stop();
  }
}

async function rebuildOne(pool: pg.Pool, eventStore: EventStore, projection: Projection): Promise<void> {
  const before = await readCheckpoint(pool, projection.name);
  const requested = await requestRebuild(pool, projection);
  console.log(
    `${projection.name}: ${requested ? 'rebuild requested' : 'a rebuild is already under way; following it'}`,
  );
  const tty = process.stdout.isTTY;
  const started = Date.now();
  let lastLine = 0;
  let seen = { events: 0, rate: 0 };
  for (;;) {
    const [status] = await projectionStatus(pool, eventStore, [projection]);
    const live = await readCheckpoint(pool, projection.name);
    if (!status!.rebuild && live?.generation !== before?.generation) break;
    const r = status!.rebuild;
    if (r) seen = { events: r.eventsProcessed, rate: r.eventsPerSecond };
    const line = r
      ? progressBar(r.progress, r.eventsProcessed, r.eventsPerSecond)
      : 'waiting for the leader to start the rebuild';
    if (tty) process.stdout.write(`\r${line}\x1b[K`);
    else if (Date.now() - lastLine > 2_000) {
      console.log(line);
      lastLine = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const [done] = await projectionStatus(pool, eventStore, [projection]);
  if (tty) process.stdout.write(`\r${progressBar(1, seen.events, seen.rate)}\x1b[K\n`);
  console.log(
    `${projection.name}: rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s; live generation ${done!.generation}`,
  );
}

/** `token ...`: prints the token alone on stdout (`TOKEN=$(npm run --silent chat -- token --user 42)`). */
async function token(args: string[]): Promise<number> {
  try {
    const readSecret = (path: string) => (path === '-' ? text(process.stdin) : readFile(path, 'utf8'));
    console.log(await mintTokenFor(parseTokenArguments(args), process.env, readSecret));
    return 0;
  } catch (error) {
    if (!(error instanceof TokenCommandError)) throw error;
    console.error(error.message);
    return error.exitCode;
  }
}

/** `audit ...`: verify and keygen run offline; the rest on the deployment's database and store. */
function audit(args: string[]): Promise<number> {
  return withUsage(AUDIT_USAGE, AuditUsageError, async () => {
    const offline = await runOfflineAuditCommand(args);
    if (offline !== null) return offline;
    return onDeployment((infrastructure) => runAuditCommand(args, infrastructure, config));
  });
}

/** `privacy ...`: the key table and the event store of the deployment. */
function privacy(args: string[]): Promise<number> {
  return withUsage(PRIVACY_USAGE, PrivacyUsageError, () =>
    onDeployment((infrastructure) => runPrivacyCommand(infrastructure, config, args)),
  );
}

/** runs `command`; its usage error, or one parseArgs raises, prints the message and `usage` (exit 2) */
async function withUsage(
  usage: string,
  UsageError: new (message: string) => Error,
  command: () => Promise<number>,
): Promise<number> {
  try {
    return await command();
  } catch (error) {
    // parseArgs refuses an unknown option or a missing value with ERR_PARSE_ARGS_*
    const parseError = (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true;
    if (!(error instanceof UsageError) && !parseError) throw error;
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
}

/** runs `command` on the deployment's migrated database and its store, closed afterwards */
async function onDeployment(command: (infrastructure: Infrastructure) => Promise<number>): Promise<number> {
  await migrate(config.DATABASE_URL);
  // warnings (say, Redis unreachable) go to stderr, apart from the output scripts read
  const logger = pino({ level: 'warn', base: { process: 'cli' } }, pino.destination(2));
  const infrastructure = await createInfrastructure(config, { process: 'cli', logger });
  try {
    return await command(infrastructure);
  } finally {
    await infrastructure.close();
  }
}

/** `jobs status`: the queues as ops see them over REST (GET /api/ops/jobs/), read from Redis. */
async function jobsStatus(json: boolean): Promise<number> {
  const logger = pino({ level: 'warn', base: { process: 'cli' } }, pino.destination(2));
  const redis = createRedisConnection(config.REDIS_URL, 'jobs', 'cli-jobs', logger);
  const queues = JOBS.map((job) => jobQueue(redis, config, job.name));
  try {
    const statuses = await jobQueueStatuses(queues, redis, config);
    if (json) console.log(JSON.stringify(statuses, null, 2));
    else {
      const columns = ['waiting', 'active', 'delayed', 'failed', 'stalled'] as const;
      const width = Math.max(5, ...statuses.map((status) => status.name.length));
      console.log([`${'queue'.padEnd(width)}`, ...columns.map((c) => c.padStart(8))].join(' '));
      for (const status of statuses)
        console.log(
          [status.name.padEnd(width), ...columns.map((c) => String(status[c]).padStart(8))].join(' '),
        );
    }
    return 0;
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    await redis.quit().catch(() => redis.disconnect());
  }
}

async function main(args: string[]): Promise<number> {
  const [area, command, ...rest] = args;
  if (area === 'token') return token(args.slice(1));
  if (area === 'audit') return audit(args.slice(1));
  if (area === 'privacy') return privacy(args.slice(1));
  if (area === 'jobs' && command === 'status') return jobsStatus(rest.includes('--json'));
  if (area !== 'projections' || (command !== 'status' && command !== 'rebuild')) {
    console.error(USAGE);
    return 2;
  }
  const names = rest.filter((arg) => !arg.startsWith('--'));
  const unknown = names.find((name) => !projectionNamed(name));
  if (unknown !== undefined) {
    console.error(`unknown projection ${unknown}; there are: ${NAMES.join(', ')}`);
    return 2;
  }
  return onDeployment(async ({ pool, eventStore }) => {
    if (command === 'status') {
      const statuses = await projectionStatus(pool, eventStore, PROJECTIONS);
      console.log(
        args.includes('--json') ? JSON.stringify(statuses, null, 2) : statuses.map(formatStatus).join('\n'),
      );
    } else {
      await rebuild(
        pool,
        eventStore,
        names.length > 0 ? names.map((name) => projectionNamed(name)!) : PROJECTIONS,
      );
    }
    return 0;
  });
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  return 1;
});
