-- The audit log (src/audit/postgresAuditLog.ts): the Merkle tree over every event in global order that
-- signed checkpoints and exports prove against (docs/audit.md). Built by one sequencer at a time (an
-- advisory lock) from the event store; everything here but the secrets could be derived again.

-- one row per sequenced event: its leaf, and what rebuilds the leaf once its text is erased
CREATE TABLE IF NOT EXISTS audit_leaves (
  leaf_index bigint PRIMARY KEY,
  -- encoded event store position: how an export finds the leaf of an event it reads from the store
  position text NOT NULL UNIQUE,
  event_id text NOT NULL,
  room_id text,
  room_index integer,
  -- the event's 32-byte secret the field salts derive from; NULL once destroyed (erasure)
  secret bytea,
  commitments jsonb NOT NULL
);

-- the tree's complete subtree hashes, every `stride`-th level (level 0: the leaf hashes)
CREATE TABLE IF NOT EXISTS audit_nodes (
  level smallint NOT NULL,
  index bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, index)
);

-- the frontier of each room's tree (its size and one hash per set bit of it)
CREATE TABLE IF NOT EXISTS audit_room_trees (
  room_id text PRIMARY KEY,
  size integer NOT NULL,
  frontier bytea[] NOT NULL
);

-- the global tree's frontier and the last event sequenced (one row)
CREATE TABLE IF NOT EXISTS audit_log_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  position text NOT NULL,
  size bigint NOT NULL,
  frontier bytea[] NOT NULL
);

-- every signed checkpoint, with the room heads its last leaf commits to (an export needs them)
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  size bigint PRIMARY KEY,
  note text NOT NULL,
  room_heads jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- outside production, the signing key generated on first use when AUDIT_SIGNING_KEY is not set
CREATE TABLE IF NOT EXISTS audit_development_key (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  signer_key text NOT NULL
);
