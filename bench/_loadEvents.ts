// Bulk load for benchmarks: chat events straight into a fresh PostgreSQL event store, bypassing the
// append path (and its encryption), one INSERT per chunk.
import type pg from 'pg';
import type { WorkloadEvent } from '../test/projections/support/chatWorkload.ts';

const LOAD_CHUNK = 10_000;

/** Bulk load: one INSERT per chunk of events, revisions counted here (the store's append is per stream). */
export async function loadEvents(pool: pg.Pool, events: Iterable<WorkloadEvent>): Promise<number> {
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
  for (const event of events) {
    chunk.push(event);
    if (chunk.length === LOAD_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return total;
}
