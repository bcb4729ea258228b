-- Exports auditors asked for over REST (POST /api/audit/exports/), run as a BullMQ job (src/jobs/
-- auditExport.ts) into a file under AUDIT_EXPORTS_DIR; this row is their status.
CREATE TABLE IF NOT EXISTS audit_exports (
  id text PRIMARY KEY,
  requested_by text NOT NULL,
  -- null: every room (--all)
  room_id text,
  range_from timestamptz,
  range_to timestamptz,
  -- queued, running, done, failed
  state text NOT NULL,
  events_written bigint NOT NULL DEFAULT 0,
  events_total bigint,
  checkpoint_size bigint,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
