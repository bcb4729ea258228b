// Bulk load for benchmarks: chat events straight into a fresh PostgreSQL event store, bypassing the
// append path, one INSERT per chunk; sealed first (sealEvents) to load them as the encrypting store
// stores them.
import type pg from 'pg';
import type { AppendResult, EventStore, EventToAppend } from '../src/eventstore/eventStore.ts';
import { createEncryptingEventStore } from '../src/privacy/encryptingEventStore.ts';
import type { KeyStore } from '../src/privacy/keyStore.ts';
import type { WorkloadEvent } from '../test/projections/support/chatWorkload.ts';

const LOAD_CHUNK = 10_000;

/** Bulk load: one INSERT per chunk of events, revisions counted here (the store's append is per stream). */
export async function loadEvents(
  pool: pg.Pool,
  events: Iterable<WorkloadEvent> | AsyncIterable<WorkloadEvent>,
): Promise<number> {
  const revisions = new Map<string, number>();
  let chunk: WorkloadEvent[] = [];
  let total = 0;
  const flush = async () => {
    const revision = chunk.map(({ stream }) => {
      const next = (revisions.get(stream) ?? -1) + 1;
      revisions.set(stream, next);
      return next;
    });
    await pool.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata, room_id)
       SELECT s, r, i, t, d, m, m ->> 'roomId'
       FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) AS x(s, r, i, t, d, m)`,
      [
        chunk.map((e) => e.stream),
        revision,
        chunk.map((e) => e.event.id),
        chunk.map((e) => e.event.type),
        chunk.map((e) => JSON.stringify(e.event.data)),
        chunk.map((e) => JSON.stringify(e.event.metadata)),
      ],
    );
    total += chunk.length;
    chunk = [];
  };
  for await (const event of events) {
    chunk.push(event);
    if (chunk.length === LOAD_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return total;
}

/** events sealed per call of the encrypting store's append: its key lookups are batched per call */
const SEAL_CHUNK = 1_000;

/**
 * The events as the encrypting store stores them (src/privacy/encryptingEventStore.ts): every personal
 * field sealed with its subject's data key for the room and day, the keys created in `keyStore` as sends
 * create them. Sealing depends on the event, never on its stream, so a chunk of any streams goes through
 * one append of that store, to an inner store that only keeps what it is handed.
 */
export async function* sealEvents(
  events: Iterable<WorkloadEvent>,
  keyStore: KeyStore,
): AsyncGenerator<WorkloadEvent> {
  let handed: readonly EventToAppend[] = [];
  const keeper = {
    async appendToStream(_stream: string, sealed: readonly EventToAppend[]) {
      handed = sealed;
      return {} as AppendResult;
    },
  } as unknown as EventStore;
  const sealing = createEncryptingEventStore(keeper, { keyStore, encryptOnAppend: true });
  let chunk: WorkloadEvent[] = [];
  const seal = async () => {
    await sealing.appendToStream(
      'bench',
      chunk.map((e) => e.event),
      { expectedRevision: 'any' },
    );
    const sealed = chunk.map((e, i) => ({ stream: e.stream, event: handed[i]! }));
    chunk = [];
    return sealed;
  };
  for (const event of events) {
    chunk.push(event);
    if (chunk.length === SEAL_CHUNK) yield* await seal();
  }
  if (chunk.length > 0) yield* await seal();
}
