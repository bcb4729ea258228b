// Optimistic concurrency over HTTP: a room or a message answers with its stream's revision as a weak ETag,
// and a change sent with `If-Match: <that ETag>` applies only if nothing changed the stream since; else
// 412 precondition_failed (StaleRevision). A request without If-Match changes what is there, as before.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CommandContext } from '../commands/context.ts';
import { HttpProblem } from './problems.ts';

/** What a write conditioned on If-Match may answer besides its own problems. */
export const IF_MATCH_PROBLEMS = ['precondition_failed', 'invalid_if_match'] as const;

export const etagOf = (revision: number | bigint) => `W/"${revision}"`;

export function setETag(reply: FastifyReply, revision: number | bigint): void {
  reply.header('ETag', etagOf(revision));
}

/** The revision an If-Match names; undefined without one, or for `*` (anything there). */
export function ifMatchRevision(request: FastifyRequest): bigint | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  for (const tag of tags) {
    const match = /^(?:W\/)?"(\d{1,18})"$/.exec(tag);
    if (match) return BigInt(match[1]!);
  }
  throw new HttpProblem(
    400,
    'invalid_if_match',
    'If-Match must be an ETag this service gave, e.g. W/"3"',
    'headers.if-match',
  );
}

/** The command context of a request, conditioned on its If-Match (when it sent one). */
export function withIfMatch(ctx: CommandContext, request: FastifyRequest): CommandContext {
  const revision = ifMatchRevision(request);
  return revision === undefined ? ctx : { ...ctx, ifRevision: revision };
}
