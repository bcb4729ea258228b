// The one place a process gets its infrastructure from config: the PostgreSQL pool, Redis connections,
// the event store (with the append signal that wakes other processes' subscriptions) and a logger. The
// HTTP app, the projector thread, the CLI and the job workers are all built on it, so a setting (a pool
// guard, a Redis retry policy) is written once and holds everywhere.

import type { Redis } from 'ioredis';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import type { Config } from '../config.ts';
import { createPool, watchPool } from '../db/pool.ts';
import { createEventStore } from '../eventstore/createEventStore.ts';
import type { EventStore } from '../eventstore/eventStore.ts';
import { createRedisAppendSignal } from '../eventstore/postgres/appendSignal.ts';
import { observePool } from '../metrics/metrics.ts';
import { createEncryptingEventStore } from '../privacy/encryptingEventStore.ts';
import { createKeyDestructionNotice } from '../privacy/keyDestructionNotice.ts';
import type { KeyStore } from '../privacy/keyStore.ts';
import { createLocalKeyWrapper } from '../privacy/keyWrapper.ts';
import { createPostgresKeyStore } from '../privacy/postgresKeyStore.ts';
import { logOutputOptions } from './logOutput.ts';
import { createRedisConnection, type RedisUse } from './redisConnection.ts';

/** Which process this is: names its connections and log lines, sizes its pool. */
export type ProcessKind = 'app' | 'projector' | 'cli' | 'worker';

export type InfrastructureLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export type Infrastructure = {
  config: Config;
  logger: InfrastructureLogger;
  pool: pg.Pool;
  /** the process's shared Redis connection for commands (fails a command fast while Redis is away) */
  redis: Redis;
  /** a connection of its own for a use that needs one (subscriptions, BullMQ); the caller closes it */
  redisConnection(use: RedisUse, name: string): Redis;
  /** the store every reader and writer uses: personal fields sealed on append, opened on read */
  eventStore: EventStore;
  /** the data keys of crypto-shredding (docs/privacy.md) */
  keyStore: KeyStore;
  /**
   * after this process destroyed data keys: drops the keys it holds unwrapped, and whatever
   * onKeysForgotten registered, here and (through Redis) in every other process on the same stores
   */
  forgetCachedKeys(): void;
  /** `forget` runs whenever keys are dropped, in whichever process they were destroyed (a state cache) */
  onKeysForgotten(forget: () => void): void;
  /** closes what this infrastructure opened (never what a caller handed in) */
  close(): Promise<void>;
};

export type InfrastructureOptions = {
  process: ProcessKind;
  /** the process's logger (the HTTP app passes Fastify's); a pino logger at LOG_LEVEL otherwise */
  logger?: InfrastructureLogger;
  /** parts a caller owns (tests): used as they are, and left open by close() */
  pool?: pg.Pool;
  redis?: Redis;
  eventStore?: EventStore;
};

/** Connections per process: the app serves requests and sockets; the others need only a few. */
const POOL_SIZE: Record<ProcessKind, number> = { app: 10, projector: 6, cli: 4, worker: 4 };

export async function createInfrastructure(
  config: Config,
  options: InfrastructureOptions,
): Promise<Infrastructure> {
  const logger =
    options.logger ??
    pino({ level: config.LOG_LEVEL, base: { process: options.process }, ...logOutputOptions() });
  const closers: (() => Promise<unknown>)[] = [];

  let pool = options.pool;
  if (pool) {
    // a caller's pool gets the same guard: a dropped connection must not take the process down
    watchPool(pool, logger);
  } else {
    const owned = createPool(
      {
        databaseUrl: config.DATABASE_URL,
        idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        max: POOL_SIZE[options.process],
      },
      logger,
    );
    closers.push(() => owned.end());
    pool = owned;
  }

  const prefix = config.REDIS_PREFIX;
  const redisConnection = (use: RedisUse, name: string) =>
    createRedisConnection(config.REDIS_URL, use, `${prefix}${options.process}:${name}`, logger);
  let redis = options.redis;
  if (!redis) {
    const owned = redisConnection('commands', 'commands');
    // the app serves nothing without Redis and says so at start; the others connect when first used
    if (options.process === 'app') await owned.connect();
    closers.push(() => owned.quit().catch(() => owned.disconnect()));
    redis = owned;
  }

  const keyStore = createPostgresKeyStore({
    pool,
    wrapper: createLocalKeyWrapper(config.PRIVACY_MASTER_KEYS, config.PRIVACY_MASTER_KEY_ID),
  });
  observePool(options.process, pool);

  const forgetters: (() => void)[] = [];
  const forgetHere = () => {
    for (const forget of forgetters) forget();
  };
  let forgetCachedKeys = forgetHere;
  let eventStore = options.eventStore;
  if (!eventStore) {
    // processes wake each other's subscriptions through Redis when they append (else they poll every 50 ms)
    const appendSignal = createRedisAppendSignal({ redis, prefix, logger });
    const owned = createEncryptingEventStore(createEventStore(config, { pool, appendSignal }), {
      keyStore,
      encryptOnAppend: config.PRIVACY_ENCRYPTION === 'on',
    });
    closers.unshift(() => owned.close()); // before the pool and Redis it uses
    eventStore = owned;
    forgetters.push(() => owned.forgetCachedKeys());
    // keys another process destroyed leave this one's memory too (keyDestructionNotice.ts); a CLI command
    // destroys none and lives too briefly to need telling
    const notice = createKeyDestructionNotice({
      redis,
      prefix,
      keyStore,
      checkEveryMs: config.PRIVACY_KEY_CHECK_MS,
      logger,
    });
    if (options.process !== 'cli') closers.unshift(notice.onAnnounced(forgetHere));
    forgetCachedKeys = () => {
      forgetHere();
      notice.announce();
    };
  }

  return {
    config,
    logger,
    pool,
    redis,
    redisConnection,
    eventStore,
    keyStore,
    forgetCachedKeys,
    onKeysForgotten: (forget) => forgetters.push(forget),
    async close() {
      for (const close of closers.splice(0)) await close();
    },
  };
}
