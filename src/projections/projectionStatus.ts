// How far each projection is, readable from any process (the status endpoint, /readyz, the CLI).
import type pg from 'pg';
import type { EventStore, Position } from '../eventstore/eventStore.ts';
import { decodePosition, encodePosition } from '../eventstore/eventStore.ts';
import { type CheckpointRow, LEADER_LOCK, rebuildCheckpoint } from './checkpoints.ts';
import type { Projection } from './projection.ts';

export type RebuildStatus = {
  state: string;
  /** encoded position the rebuild has reached */
  position: string;
  eventsProcessed: number;
  /** 0..1: how far through the store the rebuild is */
  progress: number;
  startedAt: string;
  /** events projected per second since the rebuild started */
  eventsPerSecond: number;
};

export type ProjectionStatus = {
  name: string;
  /** 'running' (a leader projects), 'rebuilding' (a new version replaces the live one), 'stopped' (no
   *  process leads), 'not_started' (no read models yet) */
  state: 'running' | 'rebuilding' | 'stopped' | 'not_started';
  /** version of the live generation, and of this code (they differ until a deploy's rebuild swaps) */
  version: number | null;
  codeVersion: number;
  generation: string | null;
  position: string;
  head: string | null;
  /**
   * events the live projection is behind the head: the distance in the store's sequence, exact for the
   * PostgreSQL store up to sequence gaps left by rolled-back appends
   */
  lag: number;
  updatedAt: string | null;
  rebuild: RebuildStatus | null;
};

/** Distance from `from` to `to` in the store's sequence (0 when caught up). */
function distance(from: Position | null, to: Position | null): number {
  if (!to) return 0;
  const start = from && from.prepare >= 0n ? from.prepare : 0n;
  return Math.max(0, Number(to.prepare - start));
}

export async function projectionStatus(
  pool: pg.Pool,
  eventStore: EventStore,
  projections: readonly Projection[],
): Promise<ProjectionStatus[]> {
  const names = projections.flatMap((projection) => [projection.name, rebuildCheckpoint(projection)]);
  const [checkpoints, leader, head] = await Promise.all([
    pool
      .query<CheckpointRow>('SELECT * FROM projection_checkpoints WHERE name = ANY($1)', [names])
      .then((result) => result.rows)
      .catch((error: { code?: string }) => {
        if (error.code === '42P01') return []; // not migrated yet
        throw error;
      }),
    pool.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND classid = 0 AND objid = $1 AND objsubid = 1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held`,
      [LEADER_LOCK],
    ),
    eventStore.headPosition(),
  ]);
  const leading = leader.rows[0]!.held;
  return projections.map((projection) => {
    const live = checkpoints.find((row) => row.name === projection.name);
    const rebuild = checkpoints.find((row) => row.name === rebuildCheckpoint(projection));
    const livePosition = live ? decodePosition(live.position) : null;
    return {
      name: projection.name,
      state: !live
        ? 'not_started'
        : !leading
          ? 'stopped'
          : live.state === 'rebuilding'
            ? 'rebuilding'
            : 'running',
      version: live?.version ?? null,
      codeVersion: projection.version,
      generation: live?.generation ?? null,
      position: live?.position ?? '0',
      head: head ? encodePosition(head) : null,
      lag: distance(livePosition, head),
      updatedAt: live?.updated_at.toISOString() ?? null,
      rebuild: rebuild ? rebuildStatus(rebuild, head) : null,
    };
  });
}

function rebuildStatus(row: CheckpointRow, head: Position | null): RebuildStatus {
  const position = decodePosition(row.position);
  const total = distance(null, head);
  const done = total - distance(position, head);
  const seconds = (row.updated_at.getTime() - row.started_at.getTime()) / 1000;
  const eventsProcessed = Number(row.events_processed);
  return {
    state: row.state,
    position: row.position,
    eventsProcessed,
    progress: total === 0 ? 1 : Math.min(1, done / total),
    startedAt: row.started_at.toISOString(),
    eventsPerSecond: seconds > 0 ? Math.round(eventsProcessed / seconds) : 0,
  };
}
