// `npm start`: configuration from the environment, schema migrations, the app, the projector (in a worker
// thread of its own), the jobs, and a graceful shutdown (stop taking requests, close sockets with 1012,
// finish the projector's batch and the running jobs, each within a bound).

import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { type App, buildApp, startAppJobs } from './app.ts';
import { verifierKeyOf } from './audit/signedNote.ts';
import { auditSigner, NoSigningKey } from './audit/signingKey.ts';
import { type Config, loadConfigOrExit } from './config.ts';
import { migrate } from './db/migrate.ts';
import { logOutputOptions } from './infrastructure/logOutput.ts';
import { EXIT_UNAVAILABLE, embeddedPostgresWhenNeeded, missingRedis } from './infrastructure/zeroInstall.ts';
import { addMetricsSource } from './metrics/metrics.ts';
import { prepareReadModels } from './projections/checkpoints.ts';
import { PROJECTIONS } from './projections/registry.ts';
import { startProjectorThread } from './projectorThread.ts';

/** A shutdown that hangs (a stuck connection) must not keep the process from exiting. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const bootLog = pino({ level: process.env.LOG_LEVEL ?? 'info', ...logOutputOptions() });
  const embedded = await embeddedPostgresWhenNeeded(process.env, (message) => bootLog.info(message));
  const config = loadConfigOrExit(embedded ? { ...process.env, DATABASE_URL: embedded.url } : process.env);
  const redisProblem = await missingRedis(config.REDIS_URL, Boolean(process.env.REDIS_URL));
  if (redisProblem) {
    console.error(redisProblem);
    await embedded?.stop();
    process.exit(EXIT_UNAVAILABLE);
  }

  const migrations = await migrate(config.DATABASE_URL);
  const app: App = await buildApp(config, { logger: logOutputOptions() });
  if (migrations.length > 0) app.log.info({ migrations }, 'database migrated');
  if (config.usingDevelopmentSecret) {
    app.log.warn(
      'no CHAT_JWT_SECRET or CHAT_JWKS_URL: accepting tokens signed with the published development secret (see README); never run like this in production',
    );
  }
  // the audit log's key: outside production generated on the first start (and kept); exports need it
  await auditSigner(app.pg, config).then(
    (signer) => app.log.info({ verifierKey: verifierKeyOf(signer) }, 'audit exports are signed by this key'),
    (error: unknown) => {
      if (!(error instanceof NoSigningKey)) throw error;
      app.log.warn(error.message);
    },
  );
  // the read models exist before the first request (the projector thread would create them too, later)
  await prepareReadModels(app.pg, PROJECTIONS);
  const projector = startProjectorThread(config, app.log);
  addMetricsSource(projector.metrics);
  // the job workers and their producer run here too, so one command serves everything (npm run worker
  // runs them alone, for more job capacity)
  const jobs = startAppJobs(app);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    try {
      // the projector finishes its batch, but not forever (stop() bounds it): an abandoned batch rolls
      // back with its checkpoint and the next leader projects it again (exactly once)
      await Promise.all([projector.stop(), jobs.stop()]);
      await app.close(); // stops accepting requests, closes sockets with 1012, then the stores
      await embedded?.stop();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.PORT, host: config.HOST, backlog: config.HTTP_LISTEN_BACKLOG });
  const started = {
    ...startLine(config, app),
    ...(embedded ? { database: `embedded PostgreSQL in ${embedded.dir}` } : {}),
  };
  app.log.info(started, `chat service started: ${started.url} (API docs ${started.docs})`);
}

/** The one line that says where the service is and how it runs (the URL a newcomer opens). */
function startLine(config: Config, app: App) {
  const { address, port } = app.server.address() as AddressInfo;
  const host =
    address === '0.0.0.0' || address === '::'
      ? 'localhost'
      : address.includes(':')
        ? `[${address}]`
        : address;
  const url = `http://${host}:${port}`;
  return {
    url,
    docs: `${url}/docs`,
    event_store: config.EVENTSTORE_URL ? 'kurrentdb' : 'postgresql',
    tokens: config.usingDevelopmentSecret
      ? 'development secret (never in production)'
      : [config.CHAT_JWT_SECRET ? 'CHAT_JWT_SECRET' : '', config.CHAT_JWKS_URL ? 'CHAT_JWKS_URL' : '']
          .filter(Boolean)
          .join(' + '),
  };
}

await main();
