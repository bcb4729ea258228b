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
  type Position,
  type RecordedEvent,
  START,
  type StreamCondition,
  WrongExpectedVersion,
} from '../eventStore.ts';

/** Our START sentinel ({-1,-1}) or no position means the beginning of $all. */
export function toReadPosition(position: Position | undefined): ReadPosition {
  if (!position || comparePositions(position, START) <= 0) return ESDB_START;
  return { commit: position.commit, prepare: position.prepare };
}

export type BatchSearch =
  /** the whole batch is there, in order: a retry whose first answer was lost; `last` is its last event */
  | { found: 'same_batch'; last: RecordedEvent }
  /** some of its ids are there, but not as this same batch: not a clean retry */
  | { found: 'partial' }
  | { found: 'none' };

/**
 * Looks for a batch of event ids among a stream's latest events (oldest first). ESDB has no lookup by event
 * id, so the adapter reads the stream's tail and asks this.
 */
export function findBatch(batchIds: readonly string[], recent: readonly RecordedEvent[]): BatchSearch {
  const start = recent.findIndex((event) => event.id === batchIds[0]);
  const last = recent[start + batchIds.length - 1];
  if (start >= 0 && last && batchIds.every((id, index) => recent[start + index]!.id === id)) {
    return { found: 'same_batch', last };
  }
  const ids = new Set(batchIds);
  return recent.some((event) => ids.has(event.id)) ? { found: 'partial' } : { found: 'none' };
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
  if (filter.roomId !== undefined || filter.actorId !== undefined) return false;
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
  if (filter.actorId !== undefined && event.metadata.actorId !== filter.actorId) return false;
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

/**
 * The first condition whose stream is not at its revision, as the port reports it; `heads` holds each
 * condition stream's head as read, in the same order.
 */
export function staleCondition(
  conditions: readonly StreamCondition[],
  heads: readonly (bigint | 'no_stream')[],
): WrongExpectedVersion | undefined {
  const index = conditions.findIndex((condition, i) => condition.revision !== heads[i]);
  if (index < 0) return undefined;
  const condition = conditions[index]!;
  return new WrongExpectedVersion(condition.stream, condition.revision, heads[index]!);
}
