// The presence setting a user chooses: invisible (shown to everyone as offline, with no last seen). Kept in
// PostgreSQL (migrations/1004_presence_settings.sql), read wherever presence is shown.
import type { Db } from '../projections/projection.ts';

export async function isInvisible(db: Db, userId: string): Promise<boolean> {
  return (await invisibleAmong(db, [userId])).has(userId);
}

/** Which of these users are invisible. */
export async function invisibleAmong(db: Db, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const { rows } = await db.query<{ user_id: string }>(
    'SELECT user_id FROM presence_settings WHERE user_id = ANY($1::text[]) AND invisible',
    [userIds],
  );
  return new Set(rows.map((row) => row.user_id));
}

export async function setInvisible(db: Db, userId: string, invisible: boolean): Promise<void> {
  await db.query(
    `INSERT INTO presence_settings (user_id, invisible) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET invisible = EXCLUDED.invisible, updated_at = now()`,
    [userId, invisible],
  );
}
