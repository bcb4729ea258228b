// The event store port on EventStoreDB/KurrentDB, through the official gRPC client. Selected with
// EVENTSTORE_URL; docs/eventstore-esdb.md lists where its semantics differ from the PostgreSQL adapter.
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  START as ESDB_START,
  type ReadStreamOptions as EsdbReadStreamOptions,
  type RecordedEvent as EsdbRecordedEvent,
  type EventData,
  FORWARDS,
  type JSONType,
  jsonEvent,
  KurrentDBClient,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import {
  type AppendResult,
  comparePositions,
  DEFAULT_MAX_EVENT_BYTES,
  type EventStore,
  type EventToAppend,
  IdempotencyMismatch,
  type Position,
  type RecordedEvent,
  type StreamCondition,
  serializeEvent,
  WrongExpectedVersion,
} from '../eventStore.ts';
import { batchSubscription } from './batchedSubscription.ts';
import {
  findBatch,
  fromEsdbEvent,
  isFullyServerSide,
  matchesFilter,
  serverSideFilter,
  staleCondition,
  toReadPosition,
} from './esdbMapping.ts';

export type EsdbEventStoreOptions = {
  /** esdb:// or kurrentdb:// connection string */
  connectionString: string;
  /** per-event cap, the same rule as the PostgreSQL adapter (see serializeEvent) */
  maxEventBytes?: number;
};

/**
 * How many of a stream's latest events are searched for a retried batch (ESDB cannot look an event id up).
 * A batch further back than this is not recognised: see docs/eventstore-esdb.md.
 */
const IDEMPOTENCY_WINDOW = 100;
/** $all page size for reads that filter client-side (roomId, or stream prefixes AND event types) */
const READ_PAGE_SIZE = 1000;
const DEFAULT_SUBSCRIPTION_BATCH_SIZE = 1_000;
/** live events arriving this close together share a batch (one projector transaction) */
const BATCH_LINGER_MS = 5;

/** The same refusals as the PostgreSQL adapter, before anything is sent. */
function checkBatch(stream: string, events: readonly EventToAppend[], maxEventBytes: number): void {
  if (events.length === 0) throw new RangeError(`Stream ${stream}: an append needs at least one event`);
  const ids = new Set<string>();
  for (const event of events) {
    // ESDB would store both; a batch naming one id twice can never be retried cleanly.
    if (ids.has(event.id)) throw new IdempotencyMismatch(stream, `event id ${event.id} appears twice`);
    ids.add(event.id);
    // EventTooLarge, EventNotStorable: ESDB would store a NUL, but the projector could not write it to
    // PostgreSQL's read models and would stop at that event
    serializeEvent(event, maxEventBytes);
  }
}

function toEventData(event: EventToAppend): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata,
  });
}

export function createEsdbEventStore({
  connectionString,
  maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
}: EsdbEventStoreOptions): EventStore {
  const client = KurrentDBClient.connectionString(connectionString);
  /** open subscriptions, ended by close() before the client goes away */
  const subscriptions = new Set<{ close(): Promise<void> }>();

  /** A stream's events as the server has them; an empty array when the stream does not exist. */
  async function readRaw(stream: string, options: EsdbReadStreamOptions): Promise<EsdbRecordedEvent[]> {
    const events: EsdbRecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(stream, options)) {
        if (resolved.event) events.push(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async function readRecorded(stream: string, options: EsdbReadStreamOptions): Promise<RecordedEvent[]> {
    return (await readRaw(stream, options)).flatMap((event) => fromEsdbEvent(event) ?? []);
  }

  /** The stream's head revision and its latest events (oldest first), read from the leader. */
  async function readTail(stream: string, count: number) {
    const newestFirst = await readRaw(stream, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: count,
      requiresLeader: true,
    });
    const head: bigint | 'no_stream' = newestFirst[0]?.revision ?? 'no_stream';
    return { head, events: newestFirst.reverse().flatMap((event) => fromEsdbEvent(event) ?? []) };
  }

  /** The batch's result if the stream's tail already holds it; IdempotencyMismatch if it holds part of it. */
  function originalResult(stream: string, batch: readonly EventToAppend[], tail: readonly RecordedEvent[]) {
    const search = findBatch(
      batch.map((event) => event.id),
      tail,
    );
    if (search.found === 'partial') {
      throw new IdempotencyMismatch(
        stream,
        'some of these event ids are already in the stream, but not as this same batch',
      );
    }
    if (search.found === 'none') return undefined;
    return {
      nextExpectedRevision: search.last.revision,
      position: search.last.position,
      alreadyStored: true,
    };
  }

  /**
   * Conditions as reads of each condition stream's head just before the append: ESDB has no multi-stream
   * check, so a write to a condition stream between this read and the append goes unnoticed (the weaker
   * guarantee, docs/eventstore-esdb.md). A retry whose batch is already stored answers with its original
   * result, as the PostgreSQL adapter does, even when a condition has moved since.
   */
  async function checkConditions(
    stream: string,
    events: readonly EventToAppend[],
    conditions: readonly StreamCondition[],
  ): Promise<AppendResult | undefined> {
    const heads = await Promise.all(
      conditions.map(async (condition) => (await readTail(condition.stream, 1)).head),
    );
    const stale = staleCondition(conditions, heads);
    if (!stale) return undefined;
    const tail = await readTail(stream, IDEMPOTENCY_WINDOW + events.length);
    const original = originalResult(stream, events, tail.events);
    if (original) return original;
    throw stale;
  }

  /** One append with an exact expectation, answered with the position of its last event. */
  async function appendExactly(
    stream: string,
    events: readonly EventToAppend[],
    streamState: bigint | 'no_stream',
  ): Promise<AppendResult> {
    const result = await client.appendToStream(stream, events.map(toEventData), { streamState });
    if (!result.success) {
      // Only with `throwOnAppendFailure=false` in the URL; the client then loses the actual revision.
      throw new Error(
        'EVENTSTORE_URL must not set throwOnAppendFailure=false: conflicts need the actual revision',
      );
    }
    // The server reports no position for a write it recognised as a retry, and for a batch it reports the
    // commit position rather than the last event's $all position: read that event back then.
    const position =
      events.length === 1 && result.position
        ? result.position
        : await positionOfRevision(stream, result.nextExpectedRevision);
    return { nextExpectedRevision: result.nextExpectedRevision, position, alreadyStored: !result.position };
  }

  async function positionOfRevision(stream: string, revision: bigint): Promise<Position> {
    const [event] = await readRecorded(stream, { fromRevision: revision, maxCount: 1, requiresLeader: true });
    if (!event) throw new Error(`Stream ${stream} has no event at revision ${revision} after appending it`);
    return event.position;
  }

  /**
   * 'any' and 'stream_exists' as an exact append at the current head. ESDB dedupes such appends only on a
   * best-effort basis; pinning the head lets us look for the batch first and makes racing retries meet
   * ESDB's guaranteed (same expected revision) idempotency or a conflict, after which we look again.
   */
  async function appendAtHead(
    stream: string,
    events: readonly EventToAppend[],
    expected: 'any' | 'stream_exists',
  ): Promise<AppendResult> {
    let knownHead: bigint | 'no_stream' = 'no_stream';
    while (true) {
      const tail = await readTail(stream, IDEMPOTENCY_WINDOW + events.length);
      const original = originalResult(stream, events, tail.events);
      if (original) return original;
      const head = tail.head === 'no_stream' ? knownHead : tail.head;
      if (head === 'no_stream' && expected === 'stream_exists') {
        throw new WrongExpectedVersion(stream, expected, 'no_stream');
      }
      try {
        return await appendExactly(stream, events, head);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        knownHead = error.actualState; // another writer moved the head: look again
      }
    }
  }

  return {
    async appendToStream(stream, events, { expectedRevision, conditions = [] }) {
      checkBatch(stream, events, maxEventBytes);
      if (conditions.length > 0) {
        const original = await checkConditions(stream, events, conditions);
        if (original) return original;
      }
      if (expectedRevision === 'any' || expectedRevision === 'stream_exists') {
        return appendAtHead(stream, events, expectedRevision);
      }
      try {
        return await appendExactly(stream, events, expectedRevision);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // ESDB recognises a retry only while its expected revision still matches; the port promises the
        // original result whatever it is, so look for the batch in the stream's tail.
        const tail = await readTail(stream, IDEMPOTENCY_WINDOW + events.length);
        const original = originalResult(stream, events, tail.events);
        if (original) return original;
        throw new WrongExpectedVersion(stream, expectedRevision, error.actualState);
      }
    },

    async readStream(stream, { from, direction = 'forwards', limit } = {}) {
      if (limit === 0) return [];
      const forwards = direction === 'forwards';
      return readRecorded(stream, {
        direction: forwards ? FORWARDS : BACKWARDS,
        fromRevision: from ?? (forwards ? ESDB_START : END),
        maxCount: limit,
      });
    },

    async readAll({ fromPosition, limit, filter } = {}) {
      const wanted = limit ?? Number.POSITIVE_INFINITY;
      const events: RecordedEvent[] = [];
      if (wanted <= 0) return events;
      // +1: an ESDB read starts AT its position, the port's is exclusive, so the first event may be skipped.
      const pageSize = isFullyServerSide(filter) ? Math.min(wanted + 1, READ_PAGE_SIZE) : READ_PAGE_SIZE;
      let cursor = fromPosition;
      while (true) {
        let received = 0;
        const page = client.readAll({
          fromPosition: toReadPosition(cursor),
          maxCount: pageSize,
          filter: serverSideFilter(filter),
        });
        for await (const { event } of page) {
          received += 1;
          if (!event || (cursor && comparePositions(event.position, cursor) <= 0)) continue;
          cursor = event.position;
          const recorded = fromEsdbEvent(event);
          if (!recorded || !matchesFilter(recorded, filter)) continue;
          events.push(recorded);
          if (events.length >= wanted) return events;
        }
        if (received < pageSize) return events;
      }
    },

    subscribeToAll({ fromPosition, filter, batchSize = DEFAULT_SUBSCRIPTION_BATCH_SIZE } = {}) {
      // Catch-up subscriptions start strictly after their position, as the port wants.
      const subscription = client.subscribeToAll({
        fromPosition: toReadPosition(fromPosition),
        filter: serverSideFilter(filter),
      });
      const batched = batchSubscription(subscription, {
        batchSize,
        lingerMs: BATCH_LINGER_MS,
        map({ event }: AllStreamResolvedEvent) {
          const recorded = event && fromEsdbEvent(event);
          return recorded && matchesFilter(recorded, filter) ? recorded : undefined;
        },
        stop: () => {
          subscriptions.delete(batched);
          return subscription.unsubscribe();
        },
      });
      subscriptions.add(batched);
      // filtered server-side, it knows no position past the last event it delivered
      let reached: Position | null = null;
      return {
        close: () => batched.close(),
        reached: () => reached,
        async *[Symbol.asyncIterator]() {
          for await (const batch of batched) {
            yield batch;
            reached = batch.at(-1)!.position;
          }
        },
      };
    },

    async headPosition() {
      const last = client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: 1,
        filter: serverSideFilter(undefined),
      });
      for await (const { event } of last) {
        if (event) return { commit: event.position.commit, prepare: event.position.prepare };
      }
      return null;
    },

    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await client.dispose();
    },
  };
}
