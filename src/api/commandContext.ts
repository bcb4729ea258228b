// From an authenticated request to what a command needs, and from a command's result to the answer:
// every write says where its event landed (`position` in the body, X-Chat-Position header) so the client
// can read its own write with ?wait_for=.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CommandContext } from '../commands/context.ts';
import { createStateCache, type StateCache } from '../commands/stateCache.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** aggregate states kept between the commands this process runs (an optimisation only) */
    commandStateCache: StateCache;
  }
}

export const commandStatePlugin = fp(
  async (fastify) => {
    const cache = createStateCache();
    // states hold text opened with data keys: destroyed keys, in this process or another, take them along
    fastify.onKeysForgotten(() => cache.clear());
    fastify.decorate('commandStateCache', cache);
  },
  { name: 'command-state', dependencies: ['infrastructure'] },
);

export function commandContext(request: FastifyRequest): CommandContext {
  const { userId, username, roles } = request.user;
  return {
    eventStore: request.server.eventStore,
    actor: { userId, ...(username ? { username } : {}), roles },
    correlationId: request.id,
    stateCache: request.server.commandStateCache,
    slowMode: request.server.slowModeGate,
    moderation: request.server.moderationPolicy,
    escalation: request.server.moderationEscalation,
  };
}

export const POSITION_HEADER = 'X-Chat-Position';

/** Sets the position header and returns the body with `position` added. */
export function withPosition<T extends object>(
  reply: FastifyReply,
  position: string,
  body: T,
): T & { position: string } {
  reply.header(POSITION_HEADER, position);
  return { ...body, position };
}
