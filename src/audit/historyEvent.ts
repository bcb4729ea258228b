// One event of the history as auditors read it (REST and `npm run chat -- audit replay --json`): the
// event as recorded, with who (metadata.actorId), when (recorded by the store, and as the command saw
// it), its id, stream and place in the global order. Nothing is left out: this is the store, not a view.
import { encodePosition, type RecordedEvent } from '../eventstore/eventStore.ts';
import { type JsonValue, toJsonValue } from './canonicalJson.ts';

export type HistoryEvent = {
  id: string;
  type: string;
  stream: string;
  revision: string;
  position: string;
  recorded_at: string;
  occurred_at: string | null;
  actor_id: string | null;
  room_id: string | null;
  correlation_id: string | null;
  data: JsonValue;
};

export function historyEvent(event: RecordedEvent): HistoryEvent {
  const metadata = event.metadata;
  return {
    id: event.id,
    type: event.type,
    stream: event.stream,
    revision: event.revision.toString(),
    position: encodePosition(event.position),
    recorded_at: event.recordedAt.toISOString(),
    occurred_at: metadata.occurredAt ?? null,
    actor_id: metadata.actorId ?? null,
    room_id: metadata.roomId ?? null,
    correlation_id: metadata.correlationId ?? null,
    data: toJsonValue(event.data, 'data'),
  };
}
