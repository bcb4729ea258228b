// Moderation queries (the caller checks the moderator role) and the user's own block list.

import { isoTime } from '../chat/serializers.ts';
import type { Db } from '../projection.ts';
import type { BounceRow, ReportRow } from './rows.ts';

export type ReportJson = {
  id: string;
  message: string;
  room: string;
  reporter: string;
  reason: string;
  /** 'open', or how it was resolved: 'hidden' | 'dismissed' */
  status: string;
  created_at: string;
  resolved_by: string | null;
  resolved_at: string | null;
};

/** Reports, oldest first; all statuses when `status` is omitted. */
export async function listReports(
  db: Db,
  options: { status?: string; limit?: number } = {},
): Promise<ReportJson[]> {
  const { rows } = await db.query<ReportRow>(
    `SELECT * FROM safety_read.reports WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at, id LIMIT $2`,
    [options.status ?? null, options.limit ?? 100],
  );
  return rows.map((r) => ({
    id: r.id,
    message: r.message_id,
    room: r.room_id,
    reporter: r.reporter_id,
    reason: r.reason,
    status: r.status,
    created_at: isoTime(r.created_at),
    resolved_by: r.resolved_by,
    resolved_at: isoTime(r.resolved_at),
  }));
}

export type BouncePage = { bounces: BounceRow[]; nextCursor: string | null };

/**
 * Bounced writes, newest first (by their place in the global order), in a room and/or by a sender.
 * `before` is the `position` of the last row of the previous page (fixed-width digits: sorts as text).
 */
export async function listBounces(
  db: Db,
  options: { roomId?: string; senderId?: string; before?: string; limit: number },
): Promise<BouncePage> {
  const params: unknown[] = [options.limit];
  const where: string[] = [];
  if (options.roomId !== undefined) where.push(`room_id = $${params.push(options.roomId)}`);
  if (options.senderId !== undefined) where.push(`sender_id = $${params.push(options.senderId)}`);
  if (options.before !== undefined) where.push(`position < $${params.push(options.before)}`);
  const { rows } = await db.query<BounceRow>(
    `SELECT * FROM safety_read.bounces ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY position DESC LIMIT $1`,
    params,
  );
  const last = rows.at(-1);
  return { bounces: rows, nextCursor: last && rows.length === options.limit ? last.position : null };
}

/** The ids of the users this user has blocked. */
export async function listBlockedUsers(db: Db, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ blocked_user_id: string }>(
    'SELECT blocked_user_id FROM safety_read.user_blocks WHERE user_id = $1 ORDER BY created_at, blocked_user_id',
    [userId],
  );
  return rows.map((row) => row.blocked_user_id);
}
