// Where the chat read models live. Each build ("generation") of the projection is a schema of its own,
// created as chat_read_g{N} with the tables below. The live generation is renamed to `chat_read`, which
// is all the queries name. A rebuild fills a new generation beside the live one; the swap renames the
// two schemas in one transaction. Renaming a schema takes no lock a reader waits for (unlike replacing
// views, which deadlocks with readers that hold some of them), and readers never see a half-built model.
import type pg from 'pg';

/** a pool or a client (inside a transaction) */
export type Db = pg.Pool | pg.ClientBase;

/** Bump when the projection's output changes (tables, columns, frames): a deploy then rebuilds it. */
export const CHAT_PROJECTION_VERSION = 3;
export const CHAT_PROJECTION = 'chat';
export const READ_SCHEMA = 'chat_read';

export const READ_MODEL_TABLES = [
  'rooms',
  'participants',
  'membership_windows',
  'messages',
  'message_edits',
  'room_feed',
  'users',
  'reports',
  'user_blocks',
] as const;
export type ReadModelTable = (typeof READ_MODEL_TABLES)[number];

/** Primary-key columns of each table: the order of a row-for-row comparison and the upsert conflict target. */
export const PRIMARY_KEYS: Record<ReadModelTable, readonly string[]> = {
  rooms: ['id'],
  participants: ['room_id', 'user_id'],
  membership_windows: ['room_id', 'user_id', 'from_seq'],
  messages: ['id'],
  message_edits: ['message_id', 'edit_no'],
  room_feed: ['room_id', 'seq'],
  users: ['id'],
  reports: ['id'],
  user_blocks: ['user_id', 'blocked_user_id'],
};

const TABLES_SQL = (s: string) => `
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
  participant_count integer NOT NULL
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
  edit_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  edited_at timestamptz
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
  message_seq integer
);
CREATE TABLE ${s}.users (
  id text PRIMARY KEY,
  username text
);
CREATE TABLE ${s}.reports (
  id text PRIMARY KEY,
  message_id text NOT NULL,
  room_id text NOT NULL,
  reporter_id text NOT NULL,
  reason text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  resolved_by text,
  resolved_at timestamptz
);
CREATE TABLE ${s}.user_blocks (
  user_id text NOT NULL,
  blocked_user_id text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, blocked_user_id)
);
`;

// Indexes no upsert needs are built after a rebuild's bulk load (cheaper than maintaining them per
// batch); room_feed is insert-only, so its unique key is one of them.
const INDEXES_SQL = (s: string) => `
SET LOCAL maintenance_work_mem = '256MB';
CREATE UNIQUE INDEX IF NOT EXISTS room_feed_room_seq ON ${s}.room_feed (room_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_room_seq ON ${s}.messages (room_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS participants_id ON ${s}.participants (id);
CREATE INDEX IF NOT EXISTS participants_user ON ${s}.participants (user_id) WHERE left_at IS NULL;
CREATE INDEX IF NOT EXISTS rooms_activity ON ${s}.rooms (last_activity_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reports_status ON ${s}.reports (status, created_at);
`;

export const CHECKPOINTS_SQL = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name text PRIMARY KEY,
  version integer NOT NULL,
  schema_name text,
  generation text,
  position text NOT NULL,
  state text NOT NULL,
  events_processed bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- checkpoint tables made before generations were renamed into place (views then) lack this column;
-- checked first, since ALTER TABLE would lock out the running projector at every process start
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'projection_checkpoints' AND column_name = 'generation') THEN
    ALTER TABLE projection_checkpoints ADD COLUMN generation text;
  END IF;
END $$;
CREATE SEQUENCE IF NOT EXISTS projection_generation;
`;

/**
 * A new, empty generation. `unlogged` (for rebuilds) skips the write-ahead log while it fills; it must
 * be made durable with setGenerationLogged before it goes live. PostgreSQL empties unlogged tables after
 * a crash of its own, which isRebuildIntact detects.
 */
export async function createGenerationSchema(db: Db, options: { unlogged?: boolean } = {}): Promise<string> {
  const { rows } = await db.query<{ n: string }>(`SELECT nextval('projection_generation') AS n`);
  const schema = `chat_read_g${rows[0]!.n}`;
  await db.query(`CREATE SCHEMA ${schema}`);
  const sql = TABLES_SQL(schema);
  await db.query(options.unlogged ? sql.replaceAll('CREATE TABLE', 'CREATE UNLOGGED TABLE') : sql);
  return schema;
}

export async function setGenerationLogged(db: Db, schema: string): Promise<void> {
  for (const table of READ_MODEL_TABLES) await db.query(`ALTER TABLE ${schema}.${table} SET LOGGED`);
}

/**
 * False when a rebuild's unlogged tables were emptied by a database crash while its checkpoint says
 * it has projected something: rooms come first in any history, so an empty rooms table gives it away.
 */
export async function isRebuildIntact(db: Db, schema: string, position: string): Promise<boolean> {
  if (position === '0') return true;
  const { rows } = await db.query(`SELECT 1 FROM ${schema}.rooms LIMIT 1`);
  return rows.length > 0;
}

export async function createSecondaryIndexes(db: Db, schema: string): Promise<void> {
  await db.query(INDEXES_SQL(schema));
}

/**
 * Makes `generation` the schema the queries read (call inside the swap transaction): the live one, if
 * any, goes back to its own name `retired` first.
 */
export async function promoteGeneration(db: Db, generation: string, retired: string | null): Promise<void> {
  if (retired) await db.query(`ALTER SCHEMA ${READ_SCHEMA} RENAME TO ${retired}`);
  await db.query(`ALTER SCHEMA ${generation} RENAME TO ${READ_SCHEMA}`);
}

export async function dropGenerationSchema(db: Db, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
