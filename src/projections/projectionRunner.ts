// Runs the chat projection: one subscription to the event store, one transaction per batch for all read
// models and the checkpoint (exactly once), then the batch's frames go to the realtime layer.
//
// Only one process projects at a time: the leader holds a PostgreSQL session advisory lock on a
// dedicated connection; the others stand by and retry every second, so one takes over when the leader
// dies (its connection closes, the lock goes with it). The leader also runs rebuilds: a shadow generation
// built from position 0 beside the live one, swapped in atomically once it has caught up (see
// docs/projections.md).
import type pg from 'pg';
import type { Logger } from 'pino';
import type { EventStore, Position, RecordedEvent } from '../eventstore/eventStore.ts';
import { decodePosition, encodePosition } from '../eventstore/eventStore.ts';
import type { ChangePublisher, FeedEntry, UserNotice } from './changeFeed.ts';
import { flushBatchState, loadBatchState } from './chat/batchStore.ts';
import { bulkRebuild } from './chat/bulkRebuild.ts';
import { applyEvents, type BatchState } from './chat/evolve.ts';
import { createRowCache, type RowCache, rememberBatch } from './chat/rowCache.ts';
import {
  CHAT_PROJECTION,
  CHAT_PROJECTION_VERSION,
  createGenerationSchema,
  createSecondaryIndexes,
  dropGenerationSchema,
  isRebuildIntact,
  promoteGeneration,
  READ_SCHEMA,
  setGenerationLogged,
} from './chat/schema.ts';
import {
  type CheckpointRow,
  LEADER_LOCK,
  LIVE,
  prepareReadModels,
  REBUILD,
  readCheckpoint,
} from './checkpoints.ts';
import { inTransaction } from './transaction.ts';

export type ProjectionLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** Test hooks around a live batch's commit (the crash tests kill the process in them). */
export type ProjectionHooks = {
  beforeCommit?(batch: BatchInfo): void | Promise<void>;
  afterCommit?(batch: BatchInfo): void | Promise<void>;
};
export type BatchInfo = { number: number; events: number; position: string };

export type ProjectionsOptions = {
  pool: pg.Pool;
  eventStore: EventStore;
  publisher: ChangePublisher;
  logger?: ProjectionLogger;
  /** largest live batch (default 500) */
  batchSize?: number;
  /**
   * largest rebuild batch, and the page a bulk rebuild reads at a time (default 5000: measured faster
   * than 10000 or 50000, the read, the fold and the COPY overlap better)
   */
  rebuildBatchSize?: number;
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
const silentLogger: ProjectionLogger = { info() {}, warn() {}, error() {} } as unknown as ProjectionLogger;

export async function startProjections(options: ProjectionsOptions): Promise<ProjectionsHandle> {
  const { pool, eventStore, publisher, hooks = {} } = options;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 500;
  const rebuildBatchSize = options.rebuildBatchSize ?? 5_000;
  const retryMs = options.retryMs ?? 1_000;

  await prepareReadModels(pool);

  const stopping = new AbortController();
  const exclusive = createMutex();
  let state: RunnerState = 'starting';
  let livePosition: string | null = null;
  let rebuildProgress: RunnerStatus['rebuild'] = null;
  let batchNumber = 0;
  /** the live generation's rows as the last batch left them (chat/rowCache.ts); one per lead term */
  let liveRows: RowCache | undefined;

  // ── leadership ──────────────────────────────────────────────────────────────────────────────────
  async function leaderLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      let lockClient: pg.PoolClient | undefined;
      let failure: Error | undefined;
      const term = new AbortController();
      const endTerm = () => term.abort();
      stopping.signal.addEventListener('abort', endTerm, { once: true });
      try {
        lockClient = await pool.connect();
        lockClient.on('error', endTerm); // the connection (and the lock with it) is gone: stop writing
        const { rows } = await lockClient.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1) AS locked',
          [LEADER_LOCK],
        );
        if (rows[0]!.locked) {
          logger.info({ projection: CHAT_PROJECTION }, 'projection leader: projecting');
          await lead(term.signal);
          await lockClient.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK]);
        } else if (state !== 'standby') {
          state = 'standby';
          logger.info({ projection: CHAT_PROJECTION }, 'projection standby: another process leads');
        }
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        if (!stopping.signal.aborted) logger.error({ err: error }, 'projection runner failed; retrying');
      } finally {
        stopping.signal.removeEventListener('abort', endTerm);
        term.abort();
        lockClient?.removeListener('error', endTerm);
        // after a failure the connection is closed, not pooled: it must not keep the lock alive
        lockClient?.release(failure);
      }
      if (state === 'running' || state === 'rebuilding') state = 'standby';
      await pause(retryMs, stopping.signal);
    }
    state = 'stopped';
  }

  async function lead(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const live = (await readCheckpoint(pool, LIVE))!;
      if (live.version > CHAT_PROJECTION_VERSION) {
        // a newer deployment owns the read models; this (old) code must not write them
        state = 'outdated';
        await pause(retryMs, signal);
        continue;
      }
      if (live.version < CHAT_PROJECTION_VERSION) {
        // a deploy changed the projection: build the new version from 0 and swap; reads stay on the old
        // one meanwhile (they are stale until the swap: old code is no longer running to update them)
        state = 'rebuilding';
        await pool.query(`UPDATE projection_checkpoints SET state = 'rebuilding' WHERE name = $1`, [LIVE]);
        await buildRebuild('takeover', signal);
        continue;
      }
      state = 'running';
      const term = new AbortController();
      const endTerm = () => term.abort();
      signal.addEventListener('abort', endTerm, { once: true });
      const watcher = watchRebuildRequests(term.signal);
      try {
        await runLive(live, term.signal);
      } catch (error) {
        if (!(error instanceof CheckpointMoved)) throw error;
        logger.warn({ err: error }, 'projection checkpoint moved; resubscribing');
      } finally {
        signal.removeEventListener('abort', endTerm);
        term.abort();
        await watcher;
      }
    }
  }

  // ── live projection ─────────────────────────────────────────────────────────────────────────────
  async function runLive(live: CheckpointRow, signal: AbortSignal): Promise<void> {
    livePosition = live.position;
    liveRows = undefined; // another process may have led (and written) since this one last did
    const subscription = eventStore.subscribeToAll({
      fromPosition: positionOrStart(live.position),
      batchSize,
    });
    const close = () => void subscription.close();
    signal.addEventListener('abort', close, { once: true });
    try {
      for await (const events of subscription) {
        if (signal.aborted) break;
        await exclusive(() => projectLiveBatch(events));
      }
    } finally {
      signal.removeEventListener('abort', close);
      await subscription.close();
    }
  }

  async function projectLiveBatch(events: RecordedEvent[]): Promise<void> {
    const last = encodePosition(events.at(-1)!.position);
    const info: BatchInfo = { number: ++batchNumber, events: events.length, position: last };
    let batch: BatchState;
    try {
      batch = await inTransaction(pool, async (client) => {
        const row = (await readCheckpoint(client, LIVE, { forUpdate: true }))!;
        if (row.position !== livePosition || row.version !== CHAT_PROJECTION_VERSION) {
          throw new CheckpointMoved(
            `live checkpoint is ${row.position} v${row.version}, expected ${livePosition}`,
          );
        }
        // a swap since the last batch put another generation live: its rows are not the cached ones
        if (liveRows?.generation !== row.generation) liveRows = createRowCache(row.generation ?? '');
        const projected = await projectBatch(client, row.schema_name!, events, liveRows);
        await hooks.beforeCommit?.(info);
        await advanceCheckpoint(client, LIVE, last, events.length);
        return projected;
      });
    } catch (error) {
      liveRows = undefined; // the apply changed cached rows in place, and the batch rolled back
      throw error;
    }
    if (liveRows) rememberBatch(liveRows, batch);
    livePosition = last;
    await hooks.afterCommit?.(info);
    await publish(batch.feed, batch.notices);
  }

  async function projectBatch(
    client: pg.ClientBase,
    schema: string,
    events: RecordedEvent[],
    cache?: RowCache,
  ): Promise<BatchState> {
    const batch = await loadBatchState(client, schema, events, eventStore, cache);
    applyEvents(batch, events);
    await flushBatchState(client, schema, batch);
    return batch;
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
  async function watchRebuildRequests(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (await readCheckpoint(pool, REBUILD)) await buildRebuild('beside-live', signal);
      } catch (error) {
        if (!signal.aborted) logger.error({ err: error }, 'projection rebuild failed; retrying');
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
  async function buildRebuild(mode: 'beside-live' | 'takeover', signal: AbortSignal): Promise<void> {
    const rebuild = await beginRebuild();
    const schema = rebuild.schema_name!;
    const publishedUpTo = (await readCheckpoint(pool, LIVE))!.position;
    let position = rebuild.position;
    let processed = Number(rebuild.events_processed);
    rebuildProgress = { position, eventsProcessed: processed };
    logger.info({ schema, mode, from: position }, 'projection rebuild: building');

    const readFrom = (from: string) =>
      eventStore.readAll({ fromPosition: positionOrStart(from), limit: rebuildBatchSize });
    const withinBound = (read: RecordedEvent[], bound: string | null) =>
      bound === null ? read : read.filter((e) => encodePosition(e.position) <= bound);
    const project = async (events: RecordedEvent[]) => {
      const last = encodePosition(events.at(-1)!.position);
      const feed = await inTransaction(pool, async (client) => {
        // a rebuild can always be redone from its checkpoint: no need to wait for the WAL flush
        await client.query('SET LOCAL synchronous_commit = off');
        const row = await readCheckpoint(client, REBUILD, { forUpdate: true });
        if (row?.position !== position || row.schema_name !== schema) {
          throw new CheckpointMoved(`rebuild checkpoint moved from ${position}`);
        }
        const { feed: entries } = await projectBatch(client, schema, events);
        await advanceCheckpoint(client, REBUILD, last, events.length);
        return entries;
      });
      position = last;
      processed += events.length;
      rebuildProgress = { position, eventsProcessed: processed };
      if (mode === 'takeover') await publish(feed.filter((entry) => entry.position > publishedUpTo));
    };

    if (position === '0') {
      // from empty tables: fold in memory and COPY the result (chat/bulkRebuild.ts), then go on in batches
      const upTo = mode === 'takeover' ? await headPosition() : livePosition!;
      const bulk =
        upTo === '0'
          ? { position, events: 0 }
          : await bulkRebuild({
              pool,
              eventStore,
              schema,
              upTo,
              pageSize: rebuildBatchSize,
              signal,
              publishAfter: mode === 'takeover' ? publishedUpTo : null,
              async onPage(events, feed) {
                processed += events.length;
                rebuildProgress = {
                  position: encodePosition(events.at(-1)!.position),
                  eventsProcessed: processed,
                };
                if (mode === 'takeover')
                  await publish(feed.filter((entry) => entry.position > publishedUpTo));
              },
            });
      if (!bulk) return;
      position = bulk.position;
      processed = bulk.events;
      logger.info({ schema, position, events: processed }, 'projection rebuild: bulk loaded');
    }

    // the rest in batches: the next batch is read while this one is written (two connections, two cores)
    let next = readFrom(position);
    for (;;) {
      const read = await next;
      if (signal.aborted) return;
      const events = withinBound(read, mode === 'takeover' ? null : livePosition);
      const full = read.length === rebuildBatchSize && events.length === read.length;
      if (full) {
        next = readFrom(encodePosition(read.at(-1)!.position));
        next.catch(() => {}); // awaited on the next turn; a failure here surfaces there
      }
      if (events.length > 0) await project(events);
      if (!full) break;
    }

    logger.info({ schema, position, events: processed }, 'projection rebuild: building indexes');
    await createSecondaryIndexes(pool, schema);
    logger.info({ schema }, 'projection rebuild: making the tables durable');
    await setGenerationLogged(pool, schema);
    if (mode === 'takeover') {
      await swap(schema, null);
    } else {
      await exclusive(async () => {
        // the live loop waits here, so its position holds still while the rebuild draws level
        while (!signal.aborted && position !== livePosition) {
          const events = withinBound(await readFrom(position), livePosition);
          if (events.length === 0) {
            throw new Error(`rebuild stopped at ${position}, short of the live position ${livePosition}`);
          }
          await project(events);
        }
        if (!signal.aborted) await swap(schema, livePosition);
      });
    }
    rebuildProgress = null;
  }

  async function headPosition(): Promise<string> {
    const head = await eventStore.headPosition();
    return head ? encodePosition(head) : '0';
  }

  /** The rebuild row, with its generation schema created (a new request) or reused (a resumed one). */
  async function beginRebuild(): Promise<CheckpointRow> {
    return inTransaction(pool, async (client) => {
      await client.query(
        `INSERT INTO projection_checkpoints (name, version, schema_name, position, state)
         VALUES ($1, $2, NULL, '0', 'requested') ON CONFLICT (name) DO NOTHING`,
        [REBUILD, CHAT_PROJECTION_VERSION],
      );
      const row = (await readCheckpoint(client, REBUILD, { forUpdate: true }))!;
      if (
        row.schema_name &&
        row.version === CHAT_PROJECTION_VERSION &&
        (await isRebuildIntact(client, row.schema_name, row.position))
      ) {
        return row;
      }
      // new, left over by another version of this code, or emptied by a database crash: start from 0
      if (row.schema_name) await dropGenerationSchema(client, row.schema_name);
      const schema = await createGenerationSchema(client, { unlogged: true });
      const { rows } = await client.query<CheckpointRow>(
        `UPDATE projection_checkpoints SET version = $2, schema_name = $3, generation = $3, position = '0', state = 'building',
           events_processed = 0, started_at = now(), updated_at = now() WHERE name = $1 RETURNING *`,
        [REBUILD, CHAT_PROJECTION_VERSION, schema],
      );
      return rows[0]!;
    });
  }

  /** Makes the rebuilt generation the live one, in one transaction, then drops the one it replaced. */
  async function swap(schema: string, expectedLivePosition: string | null): Promise<void> {
    const retired = await inTransaction(pool, async (client) => {
      const live = (await readCheckpoint(client, LIVE, { forUpdate: true }))!;
      const rebuild = (await readCheckpoint(client, REBUILD, { forUpdate: true }))!;
      if (expectedLivePosition !== null && live.position !== expectedLivePosition) {
        throw new CheckpointMoved(`live moved to ${live.position} during the swap`);
      }
      if (expectedLivePosition !== null && rebuild.position !== live.position) {
        throw new Error(`rebuild at ${rebuild.position} is not level with live ${live.position}`);
      }
      // a live row without a generation predates renaming: its chat_read held views over schema_name
      const retiredName = live.generation ?? `${READ_SCHEMA}_views_${live.schema_name}`;
      await promoteGeneration(client, schema, retiredName);
      await client.query(
        `UPDATE projection_checkpoints SET version = $2, schema_name = $3, generation = $4, position = $5,
           state = 'running', events_processed = $6, updated_at = now() WHERE name = $1`,
        [LIVE, rebuild.version, READ_SCHEMA, schema, rebuild.position, rebuild.events_processed],
      );
      await client.query('DELETE FROM projection_checkpoints WHERE name = $1', [REBUILD]);
      return live.generation ? [retiredName] : [retiredName, live.schema_name!];
    });
    logger.info({ generation: schema, replaced: retired }, 'projection rebuild: swapped in');
    for (const old of retired) await dropRetiredGeneration(old);
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
          await dropGenerationSchema(client, generation);
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
      return [{ name: CHAT_PROJECTION, state, position: livePosition, rebuild: rebuildProgress }];
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

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
