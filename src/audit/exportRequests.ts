// The status of exports asked for over REST (audit_exports): queued by the request, moved by the job
// (src/jobs/auditExport.ts) while it writes the file, done with the file's size, or failed with why.
import type pg from 'pg';

export type ExportRequest = {
  id: string;
  requestedBy: string;
  roomId: string | null;
  from: Date | null;
  to: Date | null;
  state: 'queued' | 'running' | 'done' | 'failed';
  eventsWritten: number;
  eventsTotal: number | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

type Row = {
  id: string;
  requested_by: string;
  room_id: string | null;
  range_from: Date | null;
  range_to: Date | null;
  state: ExportRequest['state'];
  events_written: string;
  events_total: string | null;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
};

const fromRow = (row: Row): ExportRequest => ({
  id: row.id,
  requestedBy: row.requested_by,
  roomId: row.room_id,
  from: row.range_from,
  to: row.range_to,
  state: row.state,
  eventsWritten: Number(row.events_written),
  eventsTotal: row.events_total === null ? null : Number(row.events_total),
  error: row.error,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

export async function createExportRequest(
  db: pg.Pool,
  request: Pick<ExportRequest, 'id' | 'requestedBy' | 'roomId' | 'from' | 'to'>,
): Promise<ExportRequest> {
  const { rows } = await db.query<Row>(
    `INSERT INTO audit_exports (id, requested_by, room_id, range_from, range_to, state)
     VALUES ($1, $2, $3, $4, $5, 'queued') RETURNING *`,
    [request.id, request.requestedBy, request.roomId, request.from, request.to],
  );
  return fromRow(rows[0]!);
}

export async function getExportRequest(db: pg.Pool, id: string): Promise<ExportRequest | null> {
  const { rows } = await db.query<Row>('SELECT * FROM audit_exports WHERE id = $1', [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function markExportProgress(db: pg.Pool, id: string, written: number, total: number) {
  await db.query(
    `UPDATE audit_exports SET state = 'running', events_written = $2, events_total = $3 WHERE id = $1`,
    [id, written, total],
  );
}

export async function markExportFinished(
  db: pg.Pool,
  id: string,
  outcome: { error: string } | { done: { written: number; total: number } },
) {
  if ('error' in outcome) {
    await db.query(
      `UPDATE audit_exports SET state = 'failed', error = $2, finished_at = now() WHERE id = $1`,
      [id, outcome.error],
    );
    return;
  }
  await db.query(
    `UPDATE audit_exports SET state = 'done', events_written = $2, events_total = $3, finished_at = now()
     WHERE id = $1`,
    [id, outcome.done.written, outcome.done.total],
  );
}
