// Authorization: the moderator role, and against the read models: is this user a current participant of
// that room? Every route that takes a room-scoped id checks it, and a "no" is always the same 404 as a
// missing resource: what someone may not see does not exist for them (the role-guarded routes too).
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { getMembership } from '../projections/chat/queries/participants.ts';
import { notFound } from './problems.ts';

/**
 * The moderators' routes' onRequest hook: for anyone else they do not exist (404, as /api/ops and
 * /api/audit), answered before the request is validated or anything is looked up.
 */
export async function requireModerator(request: FastifyRequest): Promise<void> {
  if (!request.user.roles.includes('moderator')) throw notFound('Resource');
}

export async function requireRoomParticipant(
  db: pg.Pool,
  roomId: string,
  userId: string,
  what = 'Room',
): Promise<void> {
  const membership = await getMembership(db, roomId, userId);
  if (!membership?.active) throw notFound(what);
}
