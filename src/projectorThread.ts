// The projector in a worker thread of its own, as `npm start` runs it: it reads the event store, writes the
// read models and publishes their changes to Redis over connections of its own, so the main thread's event
// loop is left to sockets, requests and commands, and the two use both cores. Appends of the main thread
// (and of other nodes) wake it through the Redis append signal.
//
// This file is both sides: startProjectorThread() in the main thread, and the worker's body below it.
import { once } from 'node:events';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { REDIS_COMMAND_OPTIONS } from './api/plugins/redis.ts';
import type { Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { createEventStore } from './eventstore/createEventStore.ts';
import { createRedisAppendSignal } from './eventstore/postgres/appendSignal.ts';
import { startProjections } from './projections/projectionRunner.ts';
import { createRedisChangePublisher } from './realtime/redisChangePublisher.ts';

export type ProjectorThread = { stop(): Promise<void> };

type Logger = { info(object: object, message: string): void; error(object: object, message: string): void };

/** A crashed thread is started again after this long (the projection runner retries its own failures). */
const RESTART_DELAY_MS = 1_000;
/** How long stop() lets the thread finish its batch before it is terminated (the batch then rolls back). */
const STOP_TIMEOUT_MS = 5_000;

export function startProjectorThread(config: Config, logger: Logger): ProjectorThread {
  let stopping = false;
  let worker = spawn();

  function spawn(): Worker {
    const thread = new Worker(new URL(import.meta.url), { workerData: { projectorThread: config } });
    thread.on('error', (error) => logger.error({ err: error }, 'projector thread failed'));
    thread.on('exit', (code) => {
      if (stopping) return;
      logger.error({ code }, 'projector thread exited; starting it again');
      setTimeout(() => {
        if (!stopping) worker = spawn();
      }, RESTART_DELAY_MS).unref();
    });
    return thread;
  }

  return {
    async stop() {
      stopping = true;
      const exited = once(worker, 'exit');
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function runThread(config: Config): Promise<void> {
  const logger = pino({ level: config.LOG_LEVEL, base: { thread: 'projector' } });
  const pool = createPool(
    {
      databaseUrl: config.DATABASE_URL,
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      max: 4,
    },
    logger,
  );
  const redis = new Redis(config.REDIS_URL, REDIS_COMMAND_OPTIONS);
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  const appendSignal = createRedisAppendSignal({ redis, prefix: config.REDIS_PREFIX, logger });
  const eventStore = createEventStore(config, { pool, appendSignal });
  const projections = await startProjections({
    pool,
    eventStore,
    publisher: createRedisChangePublisher(redis, config.REDIS_PREFIX, logger),
    logger,
  });
  parentPort!.once('message', async () => {
    // finish the batch in hand (it commits with its checkpoint, or rolls back and is projected again)
    await projections.stop();
    await eventStore.close();
    await pool.end();
    await redis.quit().catch(() => redis.disconnect());
    parentPort!.close();
  });
}

// the worker's entry: only a thread started by startProjectorThread carries its config under this name
const started = workerData as { projectorThread?: Config } | null;
if (!isMainThread && started?.projectorThread) await runThread(started.projectorThread);
