-- How far each job producer has followed the event store (src/jobs/eventFollower.ts): it enqueues the
-- jobs an event calls for (with ids derived from the event), then moves its row. Redis keeps nothing that
-- must survive; this row and the events are what the jobs are re-derived from.
CREATE TABLE IF NOT EXISTS job_followers (
  name text PRIMARY KEY,
  -- encoded event store position of the last event handled ('0' = none)
  position text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
