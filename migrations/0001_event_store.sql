-- Up Migration

-- The event store. One row per event; the global order is (transaction_id, global_position):
-- readers take only rows of transactions older than every running one (see docs/eventstore.md), so an
-- event committed late with a lower sequence value is never skipped.
CREATE TABLE events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream text NOT NULL,
  revision bigint NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  -- copied from metadata.roomId so a room's history is read through an index, not a scan
  room_id text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, global_position),
  CONSTRAINT events_stream_revision UNIQUE (stream, revision),
  CONSTRAINT events_stream_event_id UNIQUE (stream, event_id)
);

CREATE INDEX events_room_order ON events (room_id, transaction_id, global_position) WHERE room_id IS NOT NULL;

-- Appends a group of appends (one per stream call) in one transaction, one result row per append in order.
-- Outcomes: 'appended', 'duplicate' (every id already in the stream as one consecutive run: a retry, the
-- original result is returned), 'wrong_expected_version' (revision = actual head, -1 = no stream),
-- 'idempotency_mismatch' (some ids present, not as the same run).
-- Streams are locked with transaction-scoped advisory locks, in key order, BEFORE the first write: the
-- transaction id is assigned at the first write, so a later append to a stream always gets a larger
-- transaction id than the one it waited for, and the global order respects every stream's order.
CREATE FUNCTION es_append(
  p_streams text[],
  p_expected text[],
  p_counts int[],
  p_ids uuid[],
  p_types text[],
  p_data jsonb[],
  p_metadata jsonb[]
) RETURNS TABLE (outcome text, revision bigint, transaction_id xid8, global_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_first int := 1;
  v_n int;
  v_stream text;
  v_expected text;
  v_head bigint;
  v_found int;
  v_runs int;
  v_last_revision bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(k.key)
    FROM (SELECT DISTINCT hashtextextended(s, 0) AS key FROM unnest(p_streams) AS s ORDER BY 1) AS k;

  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    v_stream := p_streams[i];
    v_expected := p_expected[i];
    v_n := p_counts[i];

    SELECT coalesce(max(e.revision), -1) INTO v_head FROM events e WHERE e.stream = v_stream;

    IF v_head >= 0 THEN
      -- idempotency: which of these ids are already in the stream, and are they the same run?
      SELECT count(*), count(DISTINCT e.revision - x.ord), max(e.revision)
        INTO v_found, v_runs, v_last_revision
        FROM unnest(p_ids[v_first : v_first + v_n - 1]) WITH ORDINALITY AS x(id, ord)
        JOIN events e ON e.stream = v_stream AND e.event_id = x.id;
    ELSE
      v_found := 0;
    END IF;

    IF v_found = v_n AND v_runs = 1 THEN
      outcome := 'duplicate';
      SELECT e.revision, e.transaction_id, e.global_position INTO revision, transaction_id, global_position
        FROM events e WHERE e.stream = v_stream AND e.revision = v_last_revision;
    ELSIF v_found > 0 THEN
      outcome := 'idempotency_mismatch'; revision := v_head; transaction_id := NULL; global_position := NULL;
    ELSIF NOT (
      v_expected = 'any'
      OR (v_expected = 'no_stream' AND v_head = -1)
      OR (v_expected = 'stream_exists' AND v_head >= 0)
      OR (v_expected NOT IN ('any', 'no_stream', 'stream_exists') AND v_expected::bigint = v_head)
    ) THEN
      outcome := 'wrong_expected_version'; revision := v_head; transaction_id := NULL; global_position := NULL;
    ELSE
      WITH inserted AS (
        INSERT INTO events (stream, revision, event_id, event_type, data, metadata, room_id)
        SELECT v_stream, v_head + x.ord, x.id, x.type, x.data, x.metadata, x.metadata ->> 'roomId'
          FROM unnest(
            p_ids[v_first : v_first + v_n - 1],
            p_types[v_first : v_first + v_n - 1],
            p_data[v_first : v_first + v_n - 1],
            p_metadata[v_first : v_first + v_n - 1]
          ) WITH ORDINALITY AS x(id, type, data, metadata, ord)
         ORDER BY x.ord
        RETURNING events.global_position
      )
      SELECT max(inserted.global_position) INTO global_position FROM inserted;
      outcome := 'appended'; revision := v_head + v_n; transaction_id := pg_current_xact_id();
    END IF;

    RETURN NEXT;
    v_first := v_first + v_n;
  END LOOP;
END;
$$;

-- Down Migration
DROP FUNCTION es_append(text[], text[], int[], uuid[], text[], jsonb[], jsonb[]);
DROP TABLE events;
