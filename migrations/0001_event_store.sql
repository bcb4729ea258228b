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

-- es_append: a group of appends (one per stream call) in one set-based statement, one result row per
-- append in order. Outcomes: 'appended', 'duplicate' (every id already in the stream as one consecutive run:
-- a retry, the original result is returned), 'wrong_expected_version' (revision = actual head, -1 = no
-- stream), 'idempotency_mismatch' (some ids present, not as the same run), 'condition_failed' (below).
-- A group names each stream at most once (the adapter's group commit puts a second append to a stream in a
-- later group).
-- Conditions: an append may name other streams that must still be at exactly a revision
-- (-1 = must not exist), checked in the same statement as the append ("send only while the sender is still a
-- participant": the room stream is the condition, the message stream the append).
-- 'condition_failed': revision = that condition stream's actual head (-1 = no
-- stream) and condition_stream = its name (the first stale condition of the append, in the order given).
--
-- Locks, all transaction-scoped advisory locks on hashtextextended(stream), taken in one sorted key order
-- before the first write (deadlock-free whatever mix of modes): EXCLUSIVE for every appended stream,
-- SHARED for a condition stream (exclusive when the group also appends to it). So appends conditioned on one
-- room run concurrently with each other, while an append to the room waits for them and they for it: a
-- condition is read after its lock is granted, and a conditioned append that commits first gets a lower
-- transaction id (assigned at the INSERT, after the locks) than the room append that waited for it. The
-- order in $all is therefore exactly the order the checks saw.
-- The adapter's group commit never puts an append to a stream in the same group as an append conditioned
-- on that stream (the condition would read the stream as it was before the group): refused here too.
CREATE FUNCTION es_append(
  p_streams text[],
  p_expected text[],
  p_counts int[],
  p_ids uuid[],
  p_types text[],
  p_data jsonb[],
  p_metadata jsonb[],
  -- one entry per condition: the append it belongs to (1-based), the stream, the revision it must be at
  p_condition_appends int[],
  p_condition_streams text[],
  p_condition_revisions bigint[]
) RETURNS TABLE (
  outcome text,
  revision bigint,
  transaction_id xid8,
  global_position bigint,
  condition_stream text
)
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(DISTINCT s) FROM unnest(p_streams) AS s) <> coalesce(array_length(p_streams, 1), 0) THEN
    RAISE EXCEPTION 'es_append: a group names each stream at most once';
  END IF;
  IF EXISTS (
    SELECT 1
      FROM unnest(p_condition_appends, p_condition_streams) AS c(i, stream)
      JOIN unnest(p_streams) WITH ORDINALITY AS a(stream, i) ON a.stream = c.stream AND a.i <> c.i
  ) THEN
    RAISE EXCEPTION 'es_append: a group appends to a stream another of its appends is conditioned on';
  END IF;

  PERFORM CASE WHEN k.exclusive THEN pg_advisory_xact_lock(k.key) ELSE pg_advisory_xact_lock_shared(k.key) END
    FROM (
      SELECT l.key, bool_or(l.exclusive) AS exclusive
        FROM (
          SELECT hashtextextended(s, 0) AS key, true AS exclusive FROM unnest(p_streams) AS s
          UNION ALL
          SELECT hashtextextended(s, 0), false FROM unnest(p_condition_streams) AS s
        ) AS l
       GROUP BY l.key
       ORDER BY l.key
    ) AS k;

  RETURN QUERY
  WITH appends AS (
    SELECT a.i, a.stream, a.expected, a.n,
           (sum(a.n) OVER (ORDER BY a.i) - a.n)::int AS skip,
           coalesce((SELECT max(e.revision) FROM events e WHERE e.stream = a.stream), -1) AS head
      FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS a(stream, expected, n, i)
  ),
  stale AS (
    -- the first condition of each append that does not hold, with the stream's actual head
    SELECT DISTINCT ON (c.i) c.i, c.stream, c.head
      FROM (
        SELECT c.i, c.stream, c.expected, c.ord,
               coalesce((SELECT max(e.revision) FROM events e WHERE e.stream = c.stream), -1) AS head
          FROM unnest(p_condition_appends, p_condition_streams, p_condition_revisions)
               WITH ORDINALITY AS c(i, stream, expected, ord)
      ) AS c
     WHERE c.head <> c.expected
     ORDER BY c.i, c.ord
  ),
  batch AS (
    -- every event with its append (i) and its place in that append (k, from 1)
    SELECT slot.i, slot.k, x.ord, x.id, x.type, x.data, x.metadata
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS x(id, type, data, metadata, ord)
      JOIN (SELECT ap.i, g AS k, ap.skip + g AS ord FROM appends ap, generate_series(1, ap.n) AS g) AS slot
        ON slot.ord = x.ord
  ),
  matches AS (
    -- ids already in the stream; one run (same revision - k for all) means the same batch appended before.
    -- LATERAL keeps this an index probe per event whatever the planner guesses about the arrays' sizes.
    SELECT b.i, count(*) AS found, count(DISTINCT e.revision - b.k) AS runs, max(e.revision) AS last_revision
      FROM batch b
      JOIN appends ap ON ap.i = b.i AND ap.head >= 0
      CROSS JOIN LATERAL (
        SELECT e.revision FROM events e WHERE e.stream = ap.stream AND e.event_id = b.id
      ) AS e
     GROUP BY b.i
  ),
  decided AS (
    -- a retry is recognised before any check: it answers with the original result, as in 0002
    SELECT ap.i, ap.stream, ap.n, ap.head, m.last_revision, st.stream AS stale_stream, st.head AS stale_head,
           CASE
             WHEN m.found = ap.n AND m.runs = 1 THEN 'duplicate'
             WHEN m.found > 0 THEN 'idempotency_mismatch'
             WHEN st.i IS NOT NULL THEN 'condition_failed'
             WHEN CASE ap.expected
                    WHEN 'any' THEN true
                    WHEN 'no_stream' THEN ap.head = -1
                    WHEN 'stream_exists' THEN ap.head >= 0
                    ELSE ap.expected::bigint = ap.head
                  END THEN 'appended'
             ELSE 'wrong_expected_version'
           END AS outcome
      FROM appends ap
      LEFT JOIN matches m ON m.i = ap.i
      LEFT JOIN stale st ON st.i = ap.i
  ),
  inserted AS (
    INSERT INTO events (stream, revision, event_id, event_type, data, metadata, room_id)
    SELECT d.stream, d.head + b.k, b.id, b.type, b.data, b.metadata, b.metadata ->> 'roomId'
      FROM batch b
      JOIN decided d ON d.i = b.i
     WHERE d.outcome = 'appended'
     ORDER BY b.ord
    RETURNING events.stream, events.global_position
  )
  SELECT d.outcome,
         CASE d.outcome
           WHEN 'appended' THEN d.head + d.n
           WHEN 'duplicate' THEN d.last_revision
           WHEN 'condition_failed' THEN d.stale_head
           ELSE d.head
         END,
         CASE d.outcome WHEN 'appended' THEN pg_current_xact_id() WHEN 'duplicate' THEN dup.transaction_id END,
         CASE d.outcome WHEN 'appended' THEN ins.last_position WHEN 'duplicate' THEN dup.global_position END,
         d.stale_stream
    FROM decided d
    LEFT JOIN (SELECT i.stream, max(i.global_position) AS last_position FROM inserted i GROUP BY i.stream) AS ins
      ON ins.stream = d.stream
    LEFT JOIN LATERAL (
      SELECT e.transaction_id, e.global_position FROM events e
       WHERE d.outcome = 'duplicate' AND e.stream = d.stream AND e.revision = d.last_revision
    ) AS dup ON true
   ORDER BY d.i;
END;
$$;

-- Down Migration
DROP FUNCTION es_append(text[], text[], int[], uuid[], text[], jsonb[], jsonb[], int[], text[], bigint[]);
DROP TABLE events;
