-- Legal holds and erasure requests (src/privacy, docs/privacy.md). The events (LegalHoldPlaced,
-- LegalHoldReleased, ErasureQueued, SubjectErased) are the record; these rows are what a destruction is
-- checked against, under one advisory lock with the holds' changes, so a hold and an erasure never cross.
CREATE TABLE IF NOT EXISTS privacy_legal_holds (
  hold_id text PRIMARY KEY,
  -- what it covers: the data keys whose scope matches every part given (NULL: any)
  user_id text,
  room_id text,
  from_day date,
  to_day date,
  placed_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz
);

CREATE TABLE IF NOT EXISTS privacy_erasures (
  erasure_id text PRIMARY KEY,
  subject_id text NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  -- NULL while queued behind a hold
  erased_at timestamptz
);
CREATE INDEX IF NOT EXISTS privacy_erasures_queued ON privacy_erasures (requested_at) WHERE erased_at IS NULL;
