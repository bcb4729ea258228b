// Authorization: the moderator role, and against the read models: is this user a current participant of
// that room? Every route that takes a room-scoped id checks it, and a "no" is always the same 404 as a
// missing resource.
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { getMembership } from '../projections/chat/queries/participants.ts';
import { HttpProblem, notFound } from './problems.ts';

/** Moderator routes check the role before looking anything up. */
export function requireModerator(request: FastifyRequest): void {
  if (!request.user.roles.includes('moderator')) {
    throw new HttpProblem(403, 'forbidden', 'Only moderators may do this');
  }
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
