// The chat read model's tables: rooms, their participants and membership windows, messages and their
// edit history, the per-room feed and the users seen in events. One projection, because one per-room
// sequence numbers all of them (docs/projections.md, "Why chat is one projection"). The runner creates
// these in each generation's schema (generations.ts); the queries name the live one, `chat_read`.
import type { ReadModelTable } from '../projection.ts';

export const CHAT_TABLES: readonly ReadModelTable[] = [
  { name: 'rooms', primaryKey: ['id'] },
  { name: 'participants', primaryKey: ['room_id', 'user_id'] },
  { name: 'membership_windows', primaryKey: ['room_id', 'user_id', 'from_seq'] },
  { name: 'messages', primaryKey: ['id'] },
  { name: 'message_edits', primaryKey: ['message_id', 'edit_no'] },
  { name: 'room_feed', primaryKey: ['room_id', 'seq'] },
  { name: 'users', primaryKey: ['id'] },
];
export type ChatTable =
  | 'rooms'
  | 'participants'
  | 'membership_windows'
  | 'messages'
  | 'message_edits'
  | 'room_feed'
  | 'users';

export const CHAT_TABLES_SQL = (s: string) => `
CREATE TABLE ${s}.rooms (
  id text PRIMARY KEY,
  name text NOT NULL,
  room_type text NOT NULL,
  task_id text,
  property_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  is_active boolean NOT NULL,
  archived_at timestamptz,
  settings jsonb NOT NULL,
  last_seq integer NOT NULL,
  last_message_id text,
  last_activity_at timestamptz NOT NULL,
  participant_count integer NOT NULL,
  revision integer NOT NULL
);
CREATE TABLE ${s}.participants (
  room_id text NOT NULL,
  user_id text NOT NULL,
  id text NOT NULL,
  is_admin boolean NOT NULL,
  muted boolean NOT NULL,
  muted_until timestamptz,
  notifications_muted boolean NOT NULL,
  notifications_muted_until timestamptz,
  joined_at timestamptz NOT NULL,
  joined_seq integer NOT NULL,
  left_at timestamptz,
  left_seq integer,
  left_reason text,
  last_read_seq integer NOT NULL,
  last_read_at timestamptz,
  PRIMARY KEY (room_id, user_id)
);
CREATE TABLE ${s}.membership_windows (
  room_id text NOT NULL,
  user_id text NOT NULL,
  from_seq integer NOT NULL,
  to_seq integer,
  PRIMARY KEY (room_id, user_id, from_seq)
);
CREATE TABLE ${s}.messages (
  id text PRIMARY KEY,
  room_id text NOT NULL,
  seq integer NOT NULL,
  sender_id text NOT NULL,
  message_type text NOT NULL,
  content text NOT NULL,
  reply_to text,
  attachment jsonb,
  reactions jsonb NOT NULL,
  is_edited boolean NOT NULL,
  is_deleted boolean NOT NULL,
  is_hidden boolean NOT NULL,
  is_erased boolean NOT NULL,
  edit_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  edited_at timestamptz,
  revision integer NOT NULL
);
CREATE TABLE ${s}.message_edits (
  message_id text NOT NULL,
  edit_no integer NOT NULL,
  content text NOT NULL,
  edited_by text NOT NULL,
  edited_at timestamptz NOT NULL,
  PRIMARY KEY (message_id, edit_no)
);
CREATE TABLE ${s}.room_feed (
  room_id text NOT NULL,
  seq integer NOT NULL,
  position text NOT NULL,
  frame json NOT NULL,
  message_id text,
  message_seq integer,
  subject text,
  revokes boolean NOT NULL
);
CREATE TABLE ${s}.users (
  id text PRIMARY KEY,
  username text
);
`;

// Indexes no upsert needs are built after a rebuild's bulk load (cheaper than maintaining them per
// batch); room_feed is insert-only, so its unique key is one of them.
export const CHAT_INDEXES_SQL = (s: string) => [
  `CREATE UNIQUE INDEX IF NOT EXISTS room_feed_room_seq ON ${s}.room_feed (room_id, seq)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS messages_room_seq ON ${s}.messages (room_id, seq)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS participants_id ON ${s}.participants (id)`,
  `CREATE INDEX IF NOT EXISTS participants_user ON ${s}.participants (user_id) WHERE left_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS rooms_activity ON ${s}.rooms (last_activity_at DESC, id DESC)`,
];
