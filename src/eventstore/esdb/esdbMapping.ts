// Pure translations between the port's types and @kurrent/kurrentdb-client's. Kept apart from the adapter so
// every mapping is unit-tested without a server.
import {
  START as ESDB_START,
  type RecordedEvent as EsdbRecordedEvent,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  type ReadPosition,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import {
  comparePositions,
  type EventFilter,
  type EventMetadata,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
  START,
} from '../eventStore.ts';

/** Our START sentinel ({-1,-1}) or no position means the beginning of $all. */
export function toReadPosition(position: Position | undefined): ReadPosition {
  if (!position || comparePositions(position, START) <= 0) return ESDB_START;
  return { commit: position.commit, prepare: position.prepare };
}

/** Where the original events of a batch retried with `expected` must sit, if it was appended before. */
export function retryStartRevision(expected: ExpectedRevision): bigint | undefined {
  if (expected === 'no_stream') return 0n;
  if (typeof expected === 'bigint') return expected + 1n;
  return undefined; // 'any' / 'stream_exists': the server never reports a conflict we could resolve
}

export type RetryMatch = 'same_batch' | 'partial' | 'none';

/**
 * Compares the ids found in the stream where a batch would have landed with the batch's ids.
 * `same_batch`: the whole batch is already there in order (a retry: return the original result);
 * `partial`: some ids are there but not as the same batch (not a clean retry); `none`: a real conflict.
 */
export function matchRetry(batchIds: readonly string[], idsAtLocation: readonly string[]): RetryMatch {
  if (batchIds.length > 0 && batchIds.every((id, index) => idsAtLocation[index] === id)) return 'same_batch';
  const found = new Set(idsAtLocation);
  return batchIds.some((id) => found.has(id)) ? 'partial' : 'none';
}

/** A .NET-compatible regex matching exactly one of the values (the server evaluates filters with .NET Regex). */
export function exactMatchRegex(values: readonly string[]): string {
  const escaped = values.map((value) => value.replace(/[.*+?^${}()|[\]\\\-#\s]/g, '\\$&'));
  return `^(?:${escaped.join('|')})$`;
}

/**
 * The part of a port filter the server can apply. ESDB filters on ONE of stream name or event type, and never
 * on metadata: stream prefixes win (they are the narrower filter in practice), event types come next, and
 * without either we still ask the server to drop system events. `matchesFilter` checks the rest client-side.
 */
export function serverSideFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter?.eventTypes?.length) return eventTypeFilter({ regex: exactMatchRegex(filter.eventTypes) });
  return excludeSystemEvents();
}

/** True when the server-side filter alone selects exactly the right events (no client-side paging needed). */
export function isFullyServerSide(filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.roomId !== undefined) return false;
  return !(filter.streamPrefixes?.length && filter.eventTypes?.length);
}

/** Events this store wrote: not ESDB's system or link events ($-prefixed), JSON with our metadata. */
function isApplicationEvent(event: EsdbRecordedEvent): boolean {
  return event.isJson && !event.type.startsWith('$') && !event.streamId.startsWith('$');
}

/** The whole port filter, applied to one event (server-side parts included: cheap, and keeps reads exact). */
export function matchesFilter(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (
    filter.streamPrefixes?.length &&
    !filter.streamPrefixes.some((prefix) => event.stream.startsWith(prefix))
  )
    return false;
  if (filter.eventTypes?.length && !filter.eventTypes.includes(event.type)) return false;
  if (filter.roomId !== undefined && event.metadata.roomId !== filter.roomId) return false;
  return true;
}

/** An ESDB event as the port's recorded event; undefined for events that are not ours (system, link, binary). */
export function fromEsdbEvent(event: EsdbRecordedEvent): RecordedEvent | undefined {
  if (!isApplicationEvent(event)) return undefined;
  if (!event.position) {
    // Servers before 22.6 send no positions with stream reads; the port needs them everywhere.
    throw new Error(
      `EventStoreDB returned event ${event.id} without a position: server 22.6 or later is required`,
    );
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata as EventMetadata,
    stream: event.streamId,
    revision: event.revision,
    position: { commit: event.position.commit, prepare: event.position.prepare },
    recordedAt: event.created,
  };
}
