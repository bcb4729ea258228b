// The PostgreSQL event store adapter. Schema and the append function (es_append):
// migrations/0001_event_store.sql; the technique and its costs: docs/eventstore.md.
//
// Global order is (transaction id, sequence). Readers take only rows of transactions older than every
// transaction still running, so an event that commits late with a lower sequence value is never skipped.
import pg from 'pg';
import { validate as isUuid } from 'uuid';
import { appendGroupSize, appendSeconds } from '../../metrics/metrics.ts';
import {
  type AppendResult,
  comparePositions,
  DEFAULT_MAX_EVENT_BYTES,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  IdempotencyMismatch,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type StreamCondition,
  serializeEvent,
  WrongExpectedVersion,
} from '../eventStore.ts';
import type { AppendSignal } from './appendSignal.ts';
import { createGroupCommit } from './groupCommit.ts';
import { createPollingSubscription, type Page } from './pollingSubscription.ts';
import { createWakeSignal } from './wakeSignal.ts';

export type PostgresEventStoreOptions = {
  /** shared with the rest of the process; the store never ends it */
  pool: pg.Pool;
  /** largest serialized event (type + data + metadata), as EventStoreDB's MaxAppendEventSize */
  maxEventBytes?: number;
  /** most events in one append */
  maxEventsPerAppend?: number;
  /** how often a caught-up subscription looks for appends made by other processes */
  pollIntervalMs?: number;
  /**
   * carries "an append committed" between instances (other nodes, worker threads), so that their
   * subscriptions wake at once instead of at their next poll
   */
  appendSignal?: AppendSignal;
  /** largest batch a subscription hands out when the caller does not say */
  subscriptionBatchSize?: number;
  /**
   * append transactions in flight at most (each holds a pool connection); appends arriving while one is
   * busy queue and then commit together in one transaction (group commit), each with its own outcome. A
   * second transaction starts only once `parallelAppendEvents` wait (docs/eventstore.md, "Group commit").
   * Default 4
   */
  appendConcurrency?: number;
  /**
   * events waiting before another append transaction starts beside a running one. Default 100: single
   * event appends gather into one transaction at a time, which grows with the load and costs the database
   * far less per event than several small ones, while batches still run side by side. 0: any waiting
   * append starts a transaction while one of `appendConcurrency` is free
   */
  parallelAppendEvents?: number;
};

export const DEFAULT_MAX_EVENTS_PER_APPEND = 1_000;
/** events in one group commit: a group stops growing here (one append alone may be as large) */
const MAX_EVENTS_PER_TRANSACTION = 1_000;
const MAX_REVISION = 2n ** 63n - 1n;

type AppendRequest = {
  stream: string;
  expectedRevision: ExpectedRevision;
  conditions: readonly StreamCondition[];
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
};

type AppendOutcomeRow = {
  outcome: 'appended' | 'duplicate' | 'wrong_expected_version' | 'condition_failed' | 'idempotency_mismatch';
  revision: string;
  transaction_id: string | null;
  global_position: string | null;
  /** the stale condition stream, with 'condition_failed' */
  condition_stream: string | null;
};

/** What a page of $all says besides its events: where readers may resume, how far a filtered read went. */
type PageHead = { horizon: string; head_commit: string | null; head_position: string | null };

type EventRow = {
  global_position: string;
  transaction_id: string;
  stream: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  /** epoch milliseconds: a number parses far faster than a timestamptz text (catch-up reads feel it) */
  recorded_ms: number;
};

const APPEND_SQL = `SELECT outcome, revision, transaction_id::text AS transaction_id, global_position,
  condition_stream FROM es_append($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::jsonb[],
  $7::jsonb[], $8::int[], $9::text[], $10::bigint[])`;

const EVENT_COLUMNS = `e.global_position, e.transaction_id::text AS transaction_id, e.stream, e.revision,
  e.event_id, e.event_type, e.data, e.metadata, date_part('epoch', e.recorded_at) * 1000 AS recorded_ms`;

const READ_STREAM_FORWARDS_SQL = `SELECT ${EVENT_COLUMNS} FROM events e
  WHERE e.stream = $1 AND e.revision >= $2 ORDER BY e.revision LIMIT $3`;

const READ_STREAM_BACKWARDS_SQL = `SELECT ${EVENT_COLUMNS} FROM events e
  WHERE e.stream = $1 AND e.revision <= $2 ORDER BY e.revision DESC LIMIT $3`;

/** Rows from a transaction the cluster has not reached yet: the database was restored into a new cluster. */
const EVENTS_AHEAD_OF_CLUSTER_SQL = `SELECT max(e.transaction_id)::text AS transaction_id FROM events e
  WHERE e.transaction_id >= pg_snapshot_xmax(pg_current_snapshot())`;

const HEAD_POSITION_SQL = `SELECT e.transaction_id::text AS transaction_id, e.global_position FROM events e
  WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`;

/**
 * SQLSTATE classes that say the database, or the way to it, is failing rather than what a group carried:
 * 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, statement
 * timeout, cancel), 58 system error, XX internal error.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58', 'XX']);

/**
 * A group's statement failed in the database for what it carried (a value it cannot hold, say): its
 * transaction rolled back, so its appends may run again apart. An error with no SQLSTATE (connection
 * refused or lost) may have come after the commit: that group fails as a whole, and callers retry.
 */
function isRefusedByDatabase(error: unknown): boolean {
  return (
    error instanceof pg.DatabaseError && !UNAVAILABLE_SQLSTATE_CLASSES.has(error.code?.slice(0, 2) ?? 'XX')
  );
}

/**
 * The stored transaction ids are ahead of this cluster's transaction counter (a logical dump restored
 * into a new cluster): new events would sort before old ones and old ones would stay invisible, so the
 * store refuses to work until positions are rebased (docs/eventstore.md, "Cursors after a dump/restore").
 */
export class TransactionIdsAheadOfCluster extends Error {
  readonly code = 'event_store_rebase_needed';
  constructor(storedTransactionId: string) {
    super(
      `The events table holds transaction id ${storedTransactionId}, which this PostgreSQL cluster has not reached: ` +
        'it was restored from a dump. Rebase positions before use (see docs/eventstore.md).',
    );
    this.name = 'TransactionIdsAheadOfCluster';
  }
}

export function createPostgresEventStore(options: PostgresEventStoreOptions): EventStore {
  const { pool } = options;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const maxEventsPerAppend = options.maxEventsPerAppend ?? DEFAULT_MAX_EVENTS_PER_APPEND;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const subscriptionBatchSize = options.subscriptionBatchSize ?? 1_000;
  const appended = createWakeSignal();
  const subscriptions = new Set<{ close(): Promise<void> }>();
  // other instances' appends wake this one's subscriptions; listened to from the first subscription on
  let stopListening: (() => Promise<void>) | undefined;
  // checked once, before the first append or $all read
  let verified: Promise<void> | undefined;
  const verifyTransactionIds = () => {
    verified ??= pool
      .query<{ transaction_id: string | null }>(EVENTS_AHEAD_OF_CLUSTER_SQL)
      .then(({ rows }) => {
        const ahead = rows[0]?.transaction_id;
        if (ahead) throw new TransactionIdsAheadOfCluster(ahead);
      });
    verified.catch(() => {
      verified = undefined; // a failed check (say, a lost connection) is retried by the next call
    });
    return verified;
  };
  const groupCommit = createGroupCommit({
    run: runAppends,
    maxInFlight: options.appendConcurrency ?? 4,
    parallelWeight: options.parallelAppendEvents ?? 100,
    maxGroupWeight: MAX_EVENTS_PER_TRANSACTION,
    weigh: (request: AppendRequest) => request.ids.length,
    key: (request: AppendRequest) => request.stream,
    readKeys: (request: AppendRequest) => request.conditions.map((condition) => condition.stream),
    splitOnFailure: isRefusedByDatabase,
  });

  function toRequest(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    conditions: readonly StreamCondition[],
  ) {
    if (events.length === 0) throw new RangeError(`Stream ${stream}: an append needs at least one event`);
    if (events.length > maxEventsPerAppend) {
      throw new RangeError(
        `Stream ${stream}: ${events.length} events in one append; the limit is ${maxEventsPerAppend}`,
      );
    }
    const request: AppendRequest = {
      stream,
      expectedRevision: expected,
      conditions,
      ids: [],
      types: [],
      data: [],
      metadata: [],
    };
    const seen = new Set<string>();
    for (const event of events) {
      if (!isUuid(event.id)) throw new RangeError(`Event id ${event.id} is not a uuid`);
      if (seen.has(event.id)) throw new IdempotencyMismatch(stream, `event id ${event.id} appears twice`);
      seen.add(event.id);
      const { data, metadata } = serializeEvent(event, maxEventBytes);
      request.ids.push(event.id);
      request.types.push(event.type);
      request.data.push(data);
      request.metadata.push(metadata);
    }
    return request;
  }

  async function runAppends(requests: readonly AppendRequest[]): Promise<AppendOutcomeRow[]> {
    appendGroupSize.observe(requests.length);
    const { rows } = await pool.query<AppendOutcomeRow>(
      prepared('es_append', APPEND_SQL, [
        requests.map((r) => r.stream),
        requests.map((r) => String(r.expectedRevision)),
        requests.map((r) => r.ids.length),
        requests.flatMap((r) => r.ids),
        requests.flatMap((r) => r.types),
        requests.flatMap((r) => r.data),
        requests.flatMap((r) => r.metadata),
        requests.flatMap((r, i) => r.conditions.map(() => i + 1)),
        requests.flatMap((r) => r.conditions.map((condition) => condition.stream)),
        requests.flatMap((r) =>
          r.conditions.map(({ revision }) => (revision === 'no_stream' ? '-1' : String(revision))),
        ),
      ]),
    );
    appended.notify();
    options.appendSignal?.appended();
    return rows;
  }

  function toResult(request: AppendRequest, row: AppendOutcomeRow): AppendResult {
    switch (row.outcome) {
      case 'appended':
      case 'duplicate':
        return {
          nextExpectedRevision: BigInt(row.revision),
          position: { commit: BigInt(row.transaction_id!), prepare: BigInt(row.global_position!) },
          alreadyStored: row.outcome === 'duplicate',
        };
      case 'wrong_expected_version': {
        const actual = BigInt(row.revision);
        throw new WrongExpectedVersion(
          request.stream,
          request.expectedRevision,
          actual < 0n ? 'no_stream' : actual,
        );
      }
      case 'condition_failed': {
        const stream = row.condition_stream!;
        const actual = BigInt(row.revision);
        const expected = request.conditions.find((condition) => condition.stream === stream)!.revision;
        throw new WrongExpectedVersion(stream, expected, actual < 0n ? 'no_stream' : actual);
      }
      case 'idempotency_mismatch':
        throw new IdempotencyMismatch(
          request.stream,
          'some of these event ids are already in the stream, but not as this same batch',
        );
      default: {
        const unknown: never = row.outcome;
        throw new Error(`Unknown append outcome ${String(unknown)}`);
      }
    }
  }

  async function readPage(after: Position, limit: number | undefined, filter?: EventFilter): Promise<Page> {
    await verifyTransactionIds();
    const { name, sql, params } = readAllQuery(after, limit, filter);
    const { rows } = await pool.query<EventRow & PageHead>(prepared(name, sql, params));
    const events = rows.filter((row) => row.global_position !== null).map(toRecordedEvent);
    const last = events.at(-1)?.position ?? null;
    if (limit !== undefined && events.length >= limit) return { events, resumeAfter: last!, scannedTo: last };
    // A short page saw every visible event: the next one to become visible has a transaction id at or
    // above the horizon (this snapshot's xmin), so the next read may start there. A filtered read also
    // went past the newest visible event (head), returned or not.
    const head =
      rows[0]!.head_commit === null
        ? null
        : { commit: BigInt(rows[0]!.head_commit), prepare: BigInt(rows[0]!.head_position!) };
    const horizon: Position = { commit: BigInt(rows[0]!.horizon), prepare: -1n };
    const scannedTo = head && (!last || comparePositions(head, last) > 0) ? head : last;
    return { events, resumeAfter: comparePositions(horizon, after) > 0 ? horizon : after, scannedTo };
  }

  return {
    async appendToStream(stream, events, { expectedRevision, conditions = [] }) {
      const request = toRequest(stream, events, expectedRevision, conditions);
      await verifyTransactionIds();
      const stopTimer = appendSeconds.startTimer();
      const outcome = await groupCommit.submit(request);
      stopTimer();
      return toResult(request, outcome);
    },

    async readStream(stream, readOptions: ReadStreamOptions = {}) {
      const backwards = readOptions.direction === 'backwards';
      const from = readOptions.from ?? (backwards ? MAX_REVISION : 0n);
      const values = [stream, from.toString(), readOptions.limit ?? null];
      const { rows } = await pool.query<EventRow>(
        backwards
          ? prepared('es_read_stream_backwards', READ_STREAM_BACKWARDS_SQL, values)
          : prepared('es_read_stream_forwards', READ_STREAM_FORWARDS_SQL, values),
      );
      return rows.map(toRecordedEvent);
    },

    async readAll(readOptions: ReadAllOptions = {}) {
      if (readOptions.limit === 0) return [];
      const page = await readPage(readOptions.fromPosition ?? START, readOptions.limit, readOptions.filter);
      return page.events;
    },

    subscribeToAll(subscribeOptions = {}) {
      if (options.appendSignal && !stopListening) {
        stopListening = options.appendSignal.onAppended(() => appended.notify());
      }
      const subscription = createPollingSubscription({
        from: subscribeOptions.fromPosition ?? START,
        pageSize: subscribeOptions.batchSize ?? subscriptionBatchSize,
        pollIntervalMs,
        minReadIntervalMs: subscribeOptions.minReadIntervalMs ?? 0,
        readPage: (after, limit) => readPage(after, limit, subscribeOptions.filter),
        wake: appended,
        onClose: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition() {
      const { rows } = await pool.query<{ transaction_id: string; global_position: string }>(
        HEAD_POSITION_SQL,
      );
      const row = rows[0];
      return row ? { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) } : null;
    },

    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      const stop = stopListening;
      stopListening = undefined;
      await stop?.();
    },
  };
}

/**
 * A named prepared statement: PostgreSQL parses and plans it once per connection and then reuses the
 * plan, where an unnamed one is planned at every call (for a stream read, the planning took 4 times as
 * long as the read itself). Only for statements whose text never changes under one name.
 */
function prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name, text, values };
}

/**
 * One page of the global order after `after`, restricted to what no running transaction can still add
 * to: rows with a transaction id below the snapshot's xmin. The horizon comes back even on an empty page.
 */
function readAllQuery(after: Position, limit: number | undefined, filter: EventFilter = {}) {
  const params: unknown[] = [];
  // the statement's shape, which names its prepared statement: one per combination of clauses in use
  const shape = [
    after.commit >= 0n,
    filter.roomId !== undefined,
    !!filter.eventTypes,
    !!filter.streamPrefixes,
    filter.actorId !== undefined,
  ];
  const where = ['e.transaction_id < h.xmin'];
  if (after.commit >= 0n) {
    params.push(after.commit.toString(), after.prepare.toString());
    where.push('(e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)');
  }
  if (filter.roomId !== undefined) {
    params.push(filter.roomId);
    where.push(`e.room_id = $${params.length}`);
  }
  if (filter.eventTypes) {
    params.push(filter.eventTypes);
    where.push(`e.event_type = ANY($${params.length}::text[])`);
  }
  if (filter.streamPrefixes) {
    params.push(filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`));
    where.push(`e.stream LIKE ANY($${params.length}::text[])`);
  }
  if (filter.actorId !== undefined) {
    params.push(filter.actorId);
    where.push(`e.metadata ->> 'actorId' = $${params.length}`);
  }
  params.push(limit ?? null);
  // a filtered read also says how far it went: the newest visible event (one index probe), so that a
  // consumer of few event types can move its checkpoint past the many it skips
  const filtered = shape.slice(1).some(Boolean);
  const head = filtered
    ? `(SELECT e.transaction_id::text FROM events e WHERE e.transaction_id < h.xmin
         ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1) AS head_commit,
       (SELECT e.global_position FROM events e WHERE e.transaction_id < h.xmin
         ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1) AS head_position`
    : 'NULL AS head_commit, NULL AS head_position';
  const sql = `WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
    SELECT h.xmin::text AS horizon, ${head}, page.* FROM h LEFT JOIN LATERAL (
      SELECT ${EVENT_COLUMNS} FROM events e
      WHERE ${where.join(' AND ')}
      ORDER BY e.transaction_id, e.global_position
      LIMIT $${params.length}
    ) page ON true`;
  return { name: `es_read_all_${shape.map(Number).join('')}`, sql, params };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    stream: row.stream,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
    recordedAt: new Date(row.recorded_ms),
  };
}
