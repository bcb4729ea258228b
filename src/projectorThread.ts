// The projector in a worker thread of its own, as `npm start` runs it: it reads the event store, writes the
// read models and publishes their changes to Redis over connections of its own, so the main thread's event
// loop is left to sockets, requests and commands, and the two use both cores. Appends of the main thread
// (and of other nodes) wake it through the Redis append signal.
//
// This file is both sides: startProjectorThread() in the main thread, and the worker's body below it.
import { once } from 'node:events';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from './config.ts';
import { createInfrastructure } from './infrastructure/createInfrastructure.ts';
import { logOutputOptions } from './infrastructure/logOutput.ts';
import { type MetricsSource, registry } from './metrics/metrics.ts';
import { startProjections } from './projections/projectionRunner.ts';
import { PROJECTIONS } from './projections/registry.ts';
import { createRedisChangePublisher } from './realtime/redisChangePublisher.ts';

export type ProjectorThread = {
  stop(): Promise<void>;
  /** the thread's metrics (projection batches, its pool), for the main thread's /metrics */
  metrics: MetricsSource;
};

type ToThread = 'stop' | { metrics: number };
type FromThread = { metrics: number; values: Awaited<ReturnType<MetricsSource>> };

/** A scrape does not wait longer than this for a busy or restarting thread (its share is left out). */
const METRICS_TIMEOUT_MS = 2_000;

type Logger = { info(object: object, message: string): void; error(object: object, message: string): void };

/** A crashed thread is started again after this long (the projection runner retries its own failures). */
const RESTART_DELAY_MS = 1_000;
/** How long stop() lets the thread finish its batch before it is terminated (the batch then rolls back). */
const STOP_TIMEOUT_MS = 5_000;

export function startProjectorThread(config: Config, logger: Logger): ProjectorThread {
  let stopping = false;
  let worker = spawn();
  let asked = 0;

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
    metrics() {
      const id = ++asked;
      const thread = worker;
      return new Promise((resolve) => {
        const timer = setTimeout(() => done([]), METRICS_TIMEOUT_MS);
        const answer = (message: FromThread) => {
          if (message.metrics === id) done(message.values);
        };
        const done = (values: FromThread['values']) => {
          clearTimeout(timer);
          thread.off('message', answer);
          resolve(values);
        };
        thread.on('message', answer);
        thread.postMessage({ metrics: id } satisfies ToThread);
      });
    },
    async stop() {
      stopping = true;
      const exited = once(worker, 'exit');
      worker.postMessage('stop' satisfies ToThread);
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function runThread(config: Config): Promise<void> {
  const logger = pino({ level: config.LOG_LEVEL, base: { thread: 'projector' }, ...logOutputOptions() });
  const infrastructure = await createInfrastructure(config, { process: 'projector', logger });
  const projections = await startProjections({
    pool: infrastructure.pool,
    eventStore: infrastructure.eventStore,
    projections: PROJECTIONS,
    publisher: createRedisChangePublisher(infrastructure.redis, config.REDIS_PREFIX, logger),
    logger,
  });
  parentPort!.on('message', async (message: ToThread) => {
    if (message !== 'stop') {
      parentPort!.postMessage({ metrics: message.metrics, values: await registry.getMetricsAsJSON() });
      return;
    }
    // finish the batch in hand (it commits with its checkpoint, or rolls back and is projected again)
    await projections.stop();
    await infrastructure.close();
    parentPort!.close();
  });
}

// the worker's entry: only a thread started by startProjectorThread carries its config under this name
const started = workerData as { projectorThread?: Config } | null;
if (!isMainThread && started?.projectorThread) await runThread(started.projectorThread);
