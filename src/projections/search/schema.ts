// The search read model's one table: the current version of every message that has text to find, with
// its text search vector. A message's row is replaced on edit and removed on delete or hide (and comes
// back on a moderator's restore), so text that was edited away, deleted or hidden is never indexed.
// The room's feed seq of a message is the chat projection's number; a search joins the chat message by id
// for it (and for the membership windows), see queries.ts. The live generation is `search_read`.
import type { ReadModelTable } from '../projection.ts';

export const SEARCH_TABLES: readonly ReadModelTable[] = [
  { name: 'indexed_messages', primaryKey: ['message_id'] },
];

/**
 * The vector holds both readings of the text (migrations/1003_search_text.sql): English stems, and every
 * word as written, folded; a query is matched against either.
 */
export const SEARCH_TABLES_SQL = (s: string) => `
CREATE TABLE ${s}.indexed_messages (
  message_id text PRIMARY KEY,
  room_id text NOT NULL,
  sender_id text NOT NULL,
  created_at timestamptz NOT NULL,
  content text NOT NULL,
  has_attachment boolean NOT NULL,
  is_edited boolean NOT NULL,
  -- the chat model's edit_count of the version indexed: a search shows a row only while the two agree
  edit_count integer NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('public.chat_english'::regconfig, content) || to_tsvector('public.chat_simple'::regconfig, content)
  ) STORED
);
`;

/**
 * A search takes its candidates from two of these ANDed: the word's (GIN) and the caller's rooms' (the
 * room b-tree, which also lists a room newest first for operators without text); `from:` from the sender
 * b-tree, `has:attachment` from the small partial one, instead of reading every message of the caller's
 * rooms to drop most (bench/search.ts, --explain).
 */
export const SEARCH_INDEXES_SQL = (s: string) => [
  // no pending list (fastupdate): with one, an insert that finds the list full merges all of it into the
  // index, a stall that grows with the index (1.4 s on a 10-million-message store, where inserts otherwise
  // took 3.6 ms; docs/performance.md); without, each insert adds its words itself, about 1.5 ms a batch there
  `CREATE INDEX IF NOT EXISTS indexed_messages_tsv ON ${s}.indexed_messages USING gin (tsv) WITH (fastupdate = off)`,
  `CREATE INDEX IF NOT EXISTS indexed_messages_room_time ON ${s}.indexed_messages (room_id, created_at DESC, message_id DESC)`,
  `CREATE INDEX IF NOT EXISTS indexed_messages_sender ON ${s}.indexed_messages (sender_id, created_at DESC)`,
  `CREATE INDEX IF NOT EXISTS indexed_messages_attachments ON ${s}.indexed_messages (room_id, created_at DESC, message_id DESC)
    WHERE has_attachment`,
];
