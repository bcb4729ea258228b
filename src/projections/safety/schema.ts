// The safety read model's tables: the moderators' report queue and each user's block list. A projection
// of its own: nothing in it is numbered by a room's feed, so it commits, versions and rebuilds apart from
// chat. The live generation is `safety_read`.
import type { ReadModelTable } from '../projection.ts';

export const SAFETY_TABLES: readonly ReadModelTable[] = [
  { name: 'reports', primaryKey: ['id'] },
  { name: 'user_blocks', primaryKey: ['user_id', 'blocked_user_id'] },
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
`;

export const SAFETY_INDEXES_SQL = (s: string) => `
CREATE INDEX IF NOT EXISTS reports_status ON ${s}.reports (status, created_at);
`;
