-- Where every projection records how far it has projected, one row per projection (`chat`, `safety`, ...)
-- and, while a rebuild runs, one for it (`chat:rebuild`). A batch's read-model writes and its row's move
-- commit in one transaction: exactly once. Generations are schemas named {read schema}_g{N}.
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name text PRIMARY KEY,
  version integer NOT NULL,
  -- the schema the rows go to (the read schema for the live row); null for a rebuild not started yet
  schema_name text,
  -- the generation's own name, which its schema takes back when it is replaced
  generation text,
  -- encoded event store position of the last projected event ('0' = none)
  position text NOT NULL,
  -- live: 'running' | 'rebuilding' (replaced by a new version's build); rebuild: 'requested' | 'building'
  state text NOT NULL,
  events_processed bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE IF NOT EXISTS projection_generation;
