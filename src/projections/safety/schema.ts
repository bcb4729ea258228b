// The safety read model's tables: the moderators' report queue, the writes the policy bounced (without
// their text, which the moderators' list reads from the event store: it stays sealed there, so an erasure
// or retention reaches it with no blanking here) and each user's block list. A projection
// of its own: nothing in it is numbered by a room's feed, so it commits, versions and rebuilds apart from
// chat. The live generation is `safety_read`.
import type { ReadModelTable } from '../projection.ts';

export const SAFETY_TABLES: readonly ReadModelTable[] = [
  { name: 'reports', primaryKey: ['id'] },
  { name: 'user_blocks', primaryKey: ['user_id', 'blocked_user_id'] },
  { name: 'bounces', primaryKey: ['id'] },
];

export const SAFETY_TABLES_SQL = (s: string) => `
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
CREATE TABLE ${s}.bounces (
  id text PRIMARY KEY,
  -- the event's place in the global order (encodePosition: sorts like it): the list's order and cursor
  position text NOT NULL,
  message_id text NOT NULL,
  room_id text NOT NULL,
  sender_id text NOT NULL,
  rule_id text NOT NULL,
  rule_name text NOT NULL,
  is_edit boolean NOT NULL,
  bounced_at timestamptz NOT NULL
);
`;

export const SAFETY_INDEXES_SQL = (s: string) => [
  `CREATE INDEX IF NOT EXISTS reports_status ON ${s}.reports (status, created_at)`,
  `CREATE INDEX IF NOT EXISTS bounces_newest ON ${s}.bounces (position)`,
  `CREATE INDEX IF NOT EXISTS bounces_room ON ${s}.bounces (room_id, position)`,
  `CREATE INDEX IF NOT EXISTS bounces_sender ON ${s}.bounces (sender_id, position)`,
];
