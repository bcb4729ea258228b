// The event store port on EventStoreDB/KurrentDB, through the official gRPC client. Selected with
// EVENTSTORE_URL; docs/eventstore-esdb.md lists where its semantics differ from the PostgreSQL adapter.
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  START as ESDB_START,
  type ReadStreamOptions as EsdbReadStreamOptions,
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
  EventTooLarge,
  type ExpectedRevision,
  IdempotencyMismatch,
  type Position,
  type RecordedEvent,
  serializedEventSize,
  WrongExpectedVersion,
} from '../eventStore.ts';
import { batchSubscription } from './batchedSubscription.ts';
import {
  fromEsdbEvent,
  isFullyServerSide,
  matchesFilter,
  matchRetry,
  retryStartRevision,
  serverSideFilter,
  toReadPosition,
} from './esdbMapping.ts';

export type EsdbEventStoreOptions = {
  /** esdb:// or kurrentdb:// connection string */
  connectionString: string;
  /** per-event cap, the same rule as the PostgreSQL adapter (see serializedEventSize) */
  maxEventBytes?: number;
};

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
    const size = serializedEventSize(event);
    if (size > maxEventBytes) throw new EventTooLarge(event.id, size, maxEventBytes);
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

  async function readRecorded(stream: string, options: EsdbReadStreamOptions): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(stream, options)) {
        const recorded = resolved.event && fromEsdbEvent(resolved.event);
        if (recorded) events.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** The server answers an idempotent retry without a position; the event at that revision has it. */
  async function positionOfRevision(stream: string, revision: bigint): Promise<Position> {
    const [event] = await readRecorded(stream, { fromRevision: revision, maxCount: 1, requiresLeader: true });
    if (!event) throw new Error(`Stream ${stream} has no event at revision ${revision} after appending it`);
    return event.position;
  }

  /**
   * After a WrongExpectedVersion: was this batch appended already (a retry whose first answer was lost)?
   * ESDB recognises that itself only while the retry's expected revision still matches the stream; we look at
   * where the batch would have landed, so a retry also succeeds after others appended behind it.
   */
  async function findOriginalAppend(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult | undefined> {
    const from = retryStartRevision(expected);
    if (from === undefined) return undefined;
    const found = await readRecorded(stream, {
      fromRevision: from,
      maxCount: events.length,
      requiresLeader: true,
    });
    const match = matchRetry(
      events.map((event) => event.id),
      found.map((event) => event.id),
    );
    if (match === 'partial') {
      throw new IdempotencyMismatch(
        stream,
        `some event ids are already at revision ${from} in another batch`,
      );
    }
    const last = found.at(-1);
    if (match === 'none' || !last) return undefined;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  return {
    async appendToStream(stream, events, { expectedRevision }) {
      checkBatch(stream, events, maxEventBytes);
      try {
        // The port's expected revisions are ESDB's stream states, under the same names.
        const result = await client.appendToStream(stream, events.map(toEventData), {
          streamState: expectedRevision,
        });
        return {
          nextExpectedRevision: result.nextExpectedRevision,
          position: result.position ?? (await positionOfRevision(stream, result.nextExpectedRevision)),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const original = await findOriginalAppend(stream, events, expectedRevision);
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
      return batchSubscription(subscription, {
        batchSize,
        lingerMs: BATCH_LINGER_MS,
        map({ event }: AllStreamResolvedEvent) {
          const recorded = event && fromEsdbEvent(event);
          return recorded && matchesFilter(recorded, filter) ? recorded : undefined;
        },
        stop: () => subscription.unsubscribe(),
      });
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
      await client.dispose();
    },
  };
}
