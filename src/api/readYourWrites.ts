// Read-your-writes over an asynchronous projection: a write answers with its event's position; a read
// given that position (?wait_for=) waits until the read models include it, for a bounded time.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CHAT_PROJECTION } from '../projections/chat/chatProjection.ts';
import { waitForPosition } from '../projections/waitForPosition.ts';
import { withPosition } from './commandContext.ts';

/** Longest a request waits for the projection; normally it is a few milliseconds behind. */
export const READ_WAIT_TIMEOUT_MS = 5_000;

/**
 * Runs `load` once projection `projection` (the one `load` reads) has reached `position` (at once without
 * one). When it does not get there in time the read still runs: the answer may then miss the write, never
 * block forever.
 */
export async function readAfter<T>(
  fastify: FastifyInstance,
  position: string | undefined,
  load: () => Promise<T>,
  projection = CHAT_PROJECTION,
): Promise<T> {
  if (position) await waitForPosition(fastify.pg, position, READ_WAIT_TIMEOUT_MS, projection);
  return load();
}

/**
 * The answer of a write that returns a resource from the read models: waits for the write's own event to
 * be projected, then loads it. If the projection is late, 202 with the position (the write is durable;
 * the client can fetch the resource with ?wait_for= later) and, for a resource the write made, its id.
 */
export async function answerAfterProjection<T extends object>(
  fastify: FastifyInstance,
  reply: FastifyReply,
  position: string,
  load: () => Promise<T | null>,
  status = 200,
  acceptedId?: string,
) {
  const caughtUp = await waitForPosition(fastify.pg, position, READ_WAIT_TIMEOUT_MS, CHAT_PROJECTION);
  const resource = caughtUp ? await load() : null;
  if (!resource) {
    const ack = acceptedId === undefined ? { ok: true as const } : { ok: true as const, id: acceptedId };
    return reply.code(202).send(withPosition(reply, position, ack));
  }
  return reply.code(status).send(withPosition(reply, position, resource));
}
