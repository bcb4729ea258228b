-- Data keys of crypto-shredding (src/privacy, docs/privacy.md): one AES-256 key per scope (a subject user,
-- a room, a UTC day), stored only wrapped by a master key. Destroying a key sets `wrapped` to NULL and
-- `destroyed_at`: the row stays, so a reader tells "destroyed" (a tombstone) from "unknown" (an error).
CREATE TABLE IF NOT EXISTS privacy_data_keys (
  key_id text PRIMARY KEY,
  subject_id text NOT NULL,
  room_id text NOT NULL,
  day date NOT NULL,
  -- which master key wrapped it (rotation rewraps and changes this); NULL once destroyed
  master_key_id text,
  wrapped bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  CHECK ((destroyed_at IS NULL) = (wrapped IS NOT NULL))
);
-- one live key per scope (a destroyed scope that is written again gets a new key)
CREATE UNIQUE INDEX IF NOT EXISTS privacy_data_keys_live_scope
  ON privacy_data_keys (subject_id, room_id, day) WHERE destroyed_at IS NULL;
CREATE INDEX IF NOT EXISTS privacy_data_keys_room_day ON privacy_data_keys (room_id, day);
