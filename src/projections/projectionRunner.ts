// Runs the projections (registry.ts): each follows the event store with a subscription of its own and
// commits each batch's read-model writes with its own checkpoint in one transaction (exactly once); a
// batch's frames then go to the realtime layer.
//
// Only one process projects at a time (src/infrastructure/leadership.ts): the leader runs every
// projection; the others stand by and take over when it dies. The leader also runs
// rebuilds, one projection at a time each: a shadow generation built from position 0 beside the live
// one, swapped in atomically once it has caught up (see docs/projections.md). One projection failing
// (a bug in a new read model, say) is retried on its own and never stops the others.
import type pg from 'pg';
import type { Logger } from 'pino';
import { inTransaction } from '../db/transaction.ts';
import type { EventStore, Position, RecordedEvent } from '../eventstore/eventStore.ts';
import { decodePosition, encodePosition } from '../eventstore/eventStore.ts';
import { onAbort, pause, runAsLeader } from '../infrastructure/leadership.ts';
import { projectionBatchEvents, projectionBatchSeconds } from '../metrics/metrics.ts';
import type { ChangePublisher, FeedEntry, UserNotice } from './changeFeed.ts';
import {
  type CheckpointRow,
  LEADER_LOCK,
  prepareReadModels,
  readCheckpoint,
  rebuildCheckpoint,
} from './checkpoints.ts';
import {
  buildIndexesOf,
  createGeneration,
  dropGeneration,
  generationExists,
  promoteGeneration,
} from './generations.ts';
import type { ProjectedBatch, Projection } from './projection.ts';

export type ProjectionLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * Test hooks around a live batch's commit (the crash tests kill the process in them), and after each page
 * a bulk rebuild folds (the bulk tests append and fail there).
 */
export type ProjectionHooks = {
  beforeCommit?(batch: BatchInfo): void | Promise<void>;
  afterCommit?(batch: BatchInfo): void | Promise<void>;
  afterBulkPage?(page: BatchInfo): void | Promise<void>;
};
export type BatchInfo = { projection: string; number: number; events: number; position: string };

export type ProjectionsOptions = {
  pool: pg.Pool;
  eventStore: EventStore;
  /** the read models to build (registry.ts's PROJECTIONS in the service) */
  projections: readonly Projection[];
  publisher: ChangePublisher;
  logger?: ProjectionLogger;
  /** largest live batch (default 500) */
  batchSize?: number;
  /**
   * largest rebuild batch, and the page a bulk rebuild reads at a time (default 5000: measured faster
   * than 10000 or 50000, the read, the fold and the COPY overlap better)
   */
  rebuildBatchSize?: number;
  /** rows a bulk rebuild may hold in memory before it writes out final ones (default: the projection's) */
  rebuildRowsInMemory?: number;
  /** where a bulk rebuild writes them out (default: the system's temporary directory) */
  rebuildSpillDirectory?: string;
  /** COPY text per transaction of a bulk rebuild, in bytes (default: the projection's) */
  rebuildTransactionBytes?: number;
  /** how often a standby tries to become the leader, and a leader looks for rebuild requests (ms) */
  retryMs?: number;
  hooks?: ProjectionHooks;
};

/** standby: another process leads; outdated: the stored projection is newer than this code */
export type RunnerState = 'starting' | 'standby' | 'running' | 'rebuilding' | 'outdated' | 'stopped';

export type RunnerStatus = {
  name: string;
  state: RunnerState;
  /** last position this process projected live (encoded), null when it has not led */
  position: string | null;
  rebuild: { position: string; eventsProcessed: number } | null;
};

export type ProjectionsHandle = {
  stop(): Promise<void>;
  status(): RunnerStatus[];
};

/** The checkpoint moved under us (another writer, or a swap changed the version): resubscribe. */
class CheckpointMoved extends Error {
  override readonly name = 'CheckpointMoved';
}

const DROP_LOCK_TIMEOUT_MS = 100; // well under deadlock_timeout (1 s): the drop always yields first
const DROP_ATTEMPTS = 100;
const LOCK_NOT_AVAILABLE = '55P03';
/**
 * While none of its events come by, a projection's checkpoint follows its subscription this often (a write
 * without rows): read-your-writes (waitForPosition) then sees every projection pass every position within
 * about this long, and a projection that handles few events costs no write per batch of the busy ones.
 */
const IDLE_CHECKPOINT_MS = 500;
const silentLogger: ProjectionLogger = { info() {}, warn() {}, error() {} } as unknown as ProjectionLogger;

/** One projection's part of the runner: its state, positions and the rows it keeps between batches. */
type ProjectionRun = {
  projection: Projection;
  state: RunnerState;
  /** the live checkpoint's position as this process last committed it */
  livePosition: string | null;
  /** the live generation, where this process's live batches write (as of its term's start or its swap) */
  live: { schema: string; generation: string | null } | null;
  rebuildProgress: RunnerStatus['rebuild'];
  batchNumber: number;
  /** the live generation's rows as the last batch left them, for one lead term and generation */
  cache: { generation: string | null; rows: unknown } | null;
  /** the live loop and a rebuild's last steps take turns */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
};

export async function startProjections(options: ProjectionsOptions): Promise<ProjectionsHandle> {
  const { pool, eventStore, publisher, hooks = {} } = options;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 500;
  const rebuildBatchSize = options.rebuildBatchSize ?? 5_000;
  const retryMs = options.retryMs ?? 1_000;

  await prepareReadModels(pool, options.projections);

  const stopping = new AbortController();
  const runs: ProjectionRun[] = options.projections.map((projection) => ({
    projection,
    state: 'starting',
    livePosition: null,
    live: null,
    rebuildProgress: null,
    batchNumber: 0,
    cache: null,
    exclusive: createMutex(),
  }));
  const setState = (state: RunnerState) => {
    for (const run of runs) run.state = state;
  };

  // ── leadership: one process runs every projection (src/infrastructure/leadership.ts) ─────────────
  async function leaderLoop(): Promise<void> {
    await runAsLeader({
      pool,
      lock: LEADER_LOCK,
      stopping: stopping.signal,
      retryMs,
      logger,
      async lead(term) {
        logger.info({ projections: runs.map((run) => run.projection.name) }, 'projection leader: projecting');
        await Promise.all(runs.map((run) => lead(run, term)));
        for (const run of runs)
          if (run.state === 'running' || run.state === 'rebuilding') run.state = 'standby';
      },
      onStandby() {
        setState('standby');
        logger.info('projection standby: another process leads');
      },
    });
    setState('stopped');
  }

  /** One projection for as long as this term leads; its failures are retried here, alone. */
  async function lead(run: ProjectionRun, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await leadOnce(run, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof CheckpointMoved) {
          logger.warn(
            { err: error, projection: run.projection.name },
            'projection checkpoint moved; resubscribing',
          );
        } else {
          logger.error({ err: error, projection: run.projection.name }, 'projection failed; retrying');
          await pause(retryMs, signal);
        }
      }
    }
  }

  async function leadOnce(run: ProjectionRun, signal: AbortSignal): Promise<void> {
    const { projection } = run;
    const live = (await readCheckpoint(pool, projection.name))!;
    if (live.version > projection.version) {
      // a newer deployment owns these read models; this (old) code must not write them
      run.state = 'outdated';
      await pause(retryMs, signal);
      return;
    }
    if (live.version < projection.version) {
      // a deploy changed the projection: build the new version from 0 and swap; reads stay on the old
      // one meanwhile (they are stale until the swap: old code is no longer running to update them)
      run.state = 'rebuilding';
      await pool.query(`UPDATE projection_checkpoints SET state = 'rebuilding' WHERE name = $1`, [
        projection.name,
      ]);
      await buildRebuild(run, 'takeover', signal);
      return;
    }
    run.state = 'running';
    // the live run and the rebuild watcher end together; derived, not a listener on `signal`: a stop that
    // came during the checkpoint read above fired no listener, and the run would have waited forever (a
    // stop right after a standby took over hung until a test's hook timed out)
    const ended = new AbortController();
    const term = AbortSignal.any([signal, ended.signal]);
    const watcher = watchRebuildRequests(run, term);
    try {
      await runLive(run, live, term);
    } finally {
      ended.abort();
      await watcher;
    }
  }

  // ── live projection ─────────────────────────────────────────────────────────────────────────────
  async function runLive(run: ProjectionRun, live: CheckpointRow, signal: AbortSignal): Promise<void> {
    const { projection } = run;
    run.livePosition = live.position;
    run.live = { schema: live.schema_name!, generation: live.generation };
    run.cache = null; // another process may have led (and written) since this one last did
    const subscription = eventStore.subscribeToAll({
      fromPosition: positionOrStart(live.position),
      batchSize,
      // a projection of a few event types gets only those from the store
      ...(projection.eventTypes ? { filter: { eventTypes: projection.eventTypes } } : {}),
      ...(projection.maxLagMs ? { minReadIntervalMs: projection.maxLagMs } : {}),
    });
    let moved: CheckpointMoved | undefined;
    const close = () => void subscription.close();
    const stopClosingOnAbort = onAbort(signal, close);
    // while no batch of its events comes by, the checkpoint follows what the subscription went past
    let committedSinceTick = false;
    const idleTimer = setInterval(() => {
      if (committedSinceTick) {
        committedSinceTick = false;
        return;
      }
      const reached = subscription.reached();
      if (!reached) return;
      void run
        .exclusive(() => checkpointIdle(run, encodePosition(reached)))
        .catch((error: unknown) => {
          logger.warn({ err: error, projection: projection.name }, 'moving an idle checkpoint failed');
          moved ??= error instanceof CheckpointMoved ? error : new CheckpointMoved(String(error));
          close();
        });
    }, IDLE_CHECKPOINT_MS);
    try {
      for await (const events of subscription) {
        if (signal.aborted || moved) break;
        const handled = projection.eventTypes
          ? events
          : events.filter((event) => projection.handles(event.type));
        if (handled.length === 0) continue;
        await run.exclusive(() => projectLiveBatch(run, events, handled));
        committedSinceTick = true;
      }
      if (moved && !signal.aborted) throw moved;
    } finally {
      clearInterval(idleTimer);
      stopClosingOnAbort();
      await subscription.close();
    }
  }

  async function projectLiveBatch(
    run: ProjectionRun,
    events: RecordedEvent[],
    handled: RecordedEvent[],
  ): Promise<void> {
    const { projection } = run;
    const last = encodePosition(events.at(-1)!.position);
    const info: BatchInfo = {
      projection: projection.name,
      number: ++run.batchNumber,
      events: events.length,
      position: last,
    };
    let batch: ProjectedBatch;
    const stopTimer = projectionBatchSeconds.startTimer({ projection: projection.name });
    try {
      batch = await inTransaction(pool, async (client) => {
        const live = run.live!;
        // a swap since the last batch put another generation live: its rows are not the cached ones
        if (run.cache?.generation !== live.generation) {
          run.cache = projection.createCache
            ? { generation: live.generation, rows: projection.createCache() }
            : null;
        }
        const projected = await projection.projectBatch(client, live.schema, handled, {
          eventStore,
          cache: run.cache?.rows,
        });
        await hooks.beforeCommit?.(info);
        // the checkpoint moves on only from where this process left it, in the generation the rows went
        // to: a leader that took over, or a version or generation changed, rolls the whole batch back.
        // Checked here rather than with a lock taken first: one round trip less for every batch.
        if (!(await advanceLiveCheckpoint(client, run, last, events.length))) {
          throw new CheckpointMoved(
            `${projection.name}: the live checkpoint is no longer at ${run.livePosition}`,
          );
        }
        return projected;
      });
    } catch (error) {
      run.cache = null; // the apply changed cached rows in place, and the batch rolled back
      throw error;
    }
    batch.committed?.();
    stopTimer();
    projectionBatchEvents.observe({ projection: projection.name }, events.length);
    run.livePosition = last;
    await hooks.afterCommit?.(info);
    await publish(batch.feed, batch.notices);
  }

  /**
   * Moves the checkpoint over events the projection does not handle, to where its subscription has gone
   * (no rows, no durability needed: a crash re-reads and skips them again).
   */
  async function checkpointIdle(run: ProjectionRun, position: string): Promise<void> {
    if (run.livePosition === null || position <= run.livePosition) return;
    const moved = await inTransaction(pool, async (client) => {
      // no WAL flush to wait for, nor one to add to the appends': losing this move loses nothing
      await client.query('SET LOCAL synchronous_commit = off');
      return advanceLiveCheckpoint(client, run, position, 0);
    });
    if (!moved) throw new CheckpointMoved(`${run.projection.name}: live checkpoint moved`);
    run.livePosition = position;
  }

  async function publish(feed: readonly FeedEntry[], notices: readonly UserNotice[] = []): Promise<void> {
    if (feed.length === 0 && notices.length === 0) return;
    try {
      await publisher.publish(feed, notices);
    } catch (error) {
      // clients resume from room_feed by seq, so a lost publish is a delay, never a gap
      logger.warn({ err: error }, 'publishing projected changes failed');
    }
  }

  // ── rebuilds ────────────────────────────────────────────────────────────────────────────────────
  async function watchRebuildRequests(run: ProjectionRun, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (await readCheckpoint(pool, rebuildCheckpoint(run.projection))) {
          await buildRebuild(run, 'beside-live', signal);
        }
      } catch (error) {
        if (!signal.aborted) {
          logger.error(
            { err: error, projection: run.projection.name },
            'projection rebuild failed; retrying',
          );
        }
      }
      await pause(retryMs, signal);
    }
  }

  /**
   * Builds the rebuild generation from its checkpoint (0, or where a crashed attempt stopped).
   * beside-live: the live projector keeps running; the rebuild never passes the live position and swaps
   *   in once level with it (the live loop is paused for the last few events and the swap).
   * takeover: nothing projects live (a new version replaces an old one); the rebuild goes to the head,
   *   publishes what the old generation never did, and the swap moves the live checkpoint to it.
   */
  async function buildRebuild(
    run: ProjectionRun,
    mode: 'beside-live' | 'takeover',
    signal: AbortSignal,
  ): Promise<void> {
    const { projection } = run;
    const checkpoint = rebuildCheckpoint(projection);
    const rebuild = await beginRebuild(projection);
    const schema = rebuild.schema_name!;
    const publishedUpTo = (await readCheckpoint(pool, projection.name))!.position;
    let position = rebuild.position;
    let processed = Number(rebuild.events_processed);
    run.rebuildProgress = { position, eventsProcessed: processed };
    const log = { projection: projection.name, schema };
    logger.info({ ...log, mode, from: position }, 'projection rebuild: building');
    const publishNew = (feed: readonly FeedEntry[]) =>
      mode === 'takeover' ? publish(feed.filter((entry) => entry.position > publishedUpTo)) : undefined;

    const readFrom = (from: string) =>
      eventStore.readAll({ fromPosition: positionOrStart(from), limit: rebuildBatchSize });
    const withinBound = (read: RecordedEvent[], bound: string | null) =>
      bound === null ? read : read.filter((e) => encodePosition(e.position) <= bound);
    const project = async (events: RecordedEvent[]) => {
      const last = encodePosition(events.at(-1)!.position);
      const handled = events.filter((event) => projection.handles(event.type));
      const feed = await inTransaction(pool, async (client) => {
        // a rebuild can always be redone from its checkpoint: no need to wait for the WAL flush
        await client.query('SET LOCAL synchronous_commit = off');
        const row = await readCheckpoint(client, checkpoint, { forUpdate: true });
        if (row?.position !== position || row.schema_name !== schema) {
          throw new CheckpointMoved(`${checkpoint} moved from ${position}`);
        }
        const projected =
          handled.length > 0 ? await projection.projectBatch(client, schema, handled, { eventStore }) : null;
        await advanceCheckpoint(client, checkpoint, last, events.length);
        return projected?.feed ?? [];
      });
      position = last;
      processed += events.length;
      run.rebuildProgress = { position, eventsProcessed: processed };
      await publishNew(feed);
    };

    if (position === '0' && projection.bulkLoad) {
      // from empty tables: the projection's own bulk load, then go on in batches
      const upTo = mode === 'takeover' ? await headPosition() : run.livePosition!;
      let pages = 0;
      const bulk =
        upTo === '0'
          ? { position, events: 0 }
          : await projection.bulkLoad({
              pool,
              eventStore,
              schema,
              checkpoint,
              upTo,
              pageSize: rebuildBatchSize,
              rowsInMemory: options.rebuildRowsInMemory,
              spillDirectory: options.rebuildSpillDirectory,
              transactionBytes: options.rebuildTransactionBytes,
              signal,
              publishAfter: mode === 'takeover' ? publishedUpTo : null,
              async onPage(events, feed) {
                processed += events.length;
                const reached = encodePosition(events.at(-1)!.position);
                run.rebuildProgress = { position: reached, eventsProcessed: processed };
                await publishNew(feed);
                await hooks.afterBulkPage?.({
                  projection: projection.name,
                  number: ++pages,
                  events: events.length,
                  position: reached,
                });
              },
            });
      if (!bulk) return;
      position = bulk.position;
      processed = bulk.events;
      logger.info({ ...log, position, events: processed }, 'projection rebuild: bulk loaded');
    }

    // the rest in batches: the next batch is read while this one is written (two connections, two cores)
    let next = readFrom(position);
    for (;;) {
      const read = await next;
      if (signal.aborted) return;
      const events = withinBound(read, mode === 'takeover' ? null : run.livePosition);
      const full = read.length === rebuildBatchSize && events.length === read.length;
      if (full) {
        next = readFrom(encodePosition(read.at(-1)!.position));
        next.catch(() => {}); // awaited on the next turn; a failure here surfaces there
      }
      if (events.length > 0) await project(events);
      if (!full) break;
    }

    logger.info({ ...log, position, events: processed }, 'projection rebuild: building indexes');
    await buildIndexesOf(pool, projection, schema);
    if (mode === 'takeover') {
      await swap(run, schema, null);
    } else {
      await run.exclusive(async () => {
        // the live loop waits here, so its position holds still while the rebuild draws level
        while (!signal.aborted && position !== run.livePosition) {
          const events = withinBound(await readFrom(position), run.livePosition);
          if (events.length === 0) {
            throw new Error(`rebuild stopped at ${position}, short of the live position ${run.livePosition}`);
          }
          await project(events);
        }
        if (!signal.aborted) await swap(run, schema, run.livePosition);
      });
    }
    run.rebuildProgress = null;
  }

  async function headPosition(): Promise<string> {
    const head = await eventStore.headPosition();
    return head ? encodePosition(head) : '0';
  }

  /** The rebuild row, with its generation schema created (a new request) or reused (a resumed one). */
  async function beginRebuild(projection: Projection): Promise<CheckpointRow> {
    const checkpoint = rebuildCheckpoint(projection);
    return inTransaction(pool, async (client) => {
      await client.query(
        `INSERT INTO projection_checkpoints (name, version, schema_name, position, state)
         VALUES ($1, $2, NULL, '0', 'requested') ON CONFLICT (name) DO NOTHING`,
        [checkpoint, projection.version],
      );
      const row = (await readCheckpoint(client, checkpoint, { forUpdate: true }))!;
      if (
        row.schema_name &&
        row.version === projection.version &&
        (await generationExists(client, row.schema_name))
      ) {
        return row;
      }
      // new, or left over by another version of this code: start from 0
      if (row.schema_name) await dropGeneration(client, row.schema_name);
      const schema = await createGeneration(client, projection);
      const { rows } = await client.query<CheckpointRow>(
        `UPDATE projection_checkpoints SET version = $2, schema_name = $3, generation = $3, position = '0', state = 'building',
           events_processed = 0, started_at = now(), updated_at = now() WHERE name = $1 RETURNING *`,
        [checkpoint, projection.version, schema],
      );
      return rows[0]!;
    });
  }

  /** Makes the rebuilt generation the live one, in one transaction, then drops the one it replaced. */
  async function swap(
    run: ProjectionRun,
    schema: string,
    expectedLivePosition: string | null,
  ): Promise<void> {
    const { projection } = run;
    const retired = await inTransaction(pool, async (client) => {
      const live = (await readCheckpoint(client, projection.name, { forUpdate: true }))!;
      const rebuild = (await readCheckpoint(client, rebuildCheckpoint(projection), { forUpdate: true }))!;
      if (expectedLivePosition !== null && live.position !== expectedLivePosition) {
        throw new CheckpointMoved(`${projection.name}: live moved to ${live.position} during the swap`);
      }
      if (expectedLivePosition !== null && rebuild.position !== live.position) {
        throw new Error(`rebuild at ${rebuild.position} is not level with live ${live.position}`);
      }
      await promoteGeneration(client, projection, schema, live.generation);
      await client.query(
        `UPDATE projection_checkpoints SET version = $2, schema_name = $3, generation = $4, position = $5,
           state = 'running', events_processed = $6, updated_at = now() WHERE name = $1`,
        [
          projection.name,
          rebuild.version,
          projection.readSchema,
          schema,
          rebuild.position,
          rebuild.events_processed,
        ],
      );
      await client.query('DELETE FROM projection_checkpoints WHERE name = $1', [
        rebuildCheckpoint(projection),
      ]);
      return live.generation;
    });
    run.live = { schema: projection.readSchema, generation: schema };
    logger.info(
      { projection: projection.name, generation: schema, replaced: retired },
      'projection rebuild: swapped in',
    );
    if (retired) await dropRetiredGeneration(retired);
  }

  /**
   * Queries planned before the swap may still read the retired generation; the drop waits for them. It
   * gives up on a lock it cannot get quickly (and tries again), so PostgreSQL never picks a reader as the
   * victim of a deadlock.
   */
  async function dropRetiredGeneration(generation: string): Promise<void> {
    for (let attempt = 1; attempt <= DROP_ATTEMPTS; attempt++) {
      try {
        await inTransaction(pool, async (client) => {
          await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT_MS}ms'`);
          await dropGeneration(client, generation);
        });
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
        await pause(Math.min(attempt * 20, 500), stopping.signal);
      }
    }
    logger.warn({ generation }, 'could not drop the replaced generation (busy); drop its schema by hand');
  }

  const running = leaderLoop();
  return {
    async stop() {
      stopping.abort();
      await running;
    },
    status() {
      return runs.map((run) => ({
        name: run.projection.name,
        state: run.state,
        position: run.livePosition,
        rebuild: run.rebuildProgress,
      }));
    },
  };
}

async function advanceCheckpoint(db: pg.ClientBase, name: string, position: string, events: number) {
  await db.query(
    `UPDATE projection_checkpoints SET position = $2, events_processed = events_processed + $3, updated_at = now()
     WHERE name = $1`,
    [name, position, events],
  );
}

/**
 * Moves a projection's live checkpoint to `position` (`events` more processed: 0 for an idle move past
 * events it skips) only from where this process left it: its position, the generation it writes and
 * the projection's version. False when the row is not like that any more (another writer or a version
 * moved it).
 */
async function advanceLiveCheckpoint(
  db: pg.ClientBase,
  run: ProjectionRun,
  position: string,
  events: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE projection_checkpoints SET position = $2, events_processed = events_processed + $3, updated_at = now()
     WHERE name = $1 AND position = $4 AND generation IS NOT DISTINCT FROM $5 AND version = $6`,
    [run.projection.name, position, events, run.livePosition, run.live!.generation, run.projection.version],
  );
  return rowCount === 1;
}

function positionOrStart(encoded: string): Position | undefined {
  return encoded === '0' ? undefined : decodePosition(encoded);
}

/** Runs one task at a time, in call order. */
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
