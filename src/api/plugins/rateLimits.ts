// fastify.rateLimits (src/limits/rateLimits.ts, shared with the sockets), fastify.slowModeGate
// (src/limits/slowModeGate.ts, which SendMessage asks on both), fastify.moderationEscalation (the
// violation counts escalation mutes by, src/limits/violationCounter.ts) and the two hooks that apply it to
// REST: `limitUserRequest` in the authenticated subtrees (a send, an upload or any other write counts
// against the caller's allowance before its body is read), and `limitAnonymousRequest` for the whole app
// (a request without credentials, and every WebSocket handshake, counts against its address).
// Over a limit the hook throws RateLimited: 429 rate_limited with Retry-After, and nothing is done.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SlowModeGate } from '../../commands/slowModeGate.ts';
import type { Escalation } from '../../commands/violationCounter.ts';
import { createRateLimits, type LimitedAction, type RateLimits } from '../../limits/rateLimits.ts';
import { createSlowModeGate } from '../../limits/slowModeGate.ts';
import { createViolationCounter } from '../../limits/violationCounter.ts';

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: RateLimits;
    /** slow mode's slots per participant and room, for SendMessage on REST and the sockets */
    slowModeGate: SlowModeGate;
    /** repeated violations of the moderation policy, counted across nodes (docs/moderation.md) */
    moderationEscalation: Escalation;
  }
  interface FastifyContextConfig {
    /**
     * what a route's requests count as: writes (any method but GET and HEAD) are `write` unless they say
     * `send` or `upload`; `none` exempts a route (health probes, which must answer a balancer)
     */
    rateLimit?: 'send' | 'upload' | 'none';
  }
}

export const rateLimitsPlugin = fp(
  async (fastify) => {
    const { config } = fastify;
    fastify.decorate('rateLimits', createRateLimits(fastify.redis, config.REDIS_PREFIX, config));
    // a room's setting, not a service-wide limit: RATE_LIMITS=off leaves it on
    fastify.decorate('slowModeGate', createSlowModeGate(fastify.redis, config.REDIS_PREFIX));
    fastify.decorate('moderationEscalation', {
      counter: createViolationCounter(fastify.redis, config.REDIS_PREFIX),
      violations: config.MODERATION_ESCALATION_VIOLATIONS,
      windowMs: config.MODERATION_ESCALATION_WINDOW_SECONDS * 1000,
      muteMs: config.MODERATION_ESCALATION_MUTE_MINUTES * 60_000,
    });
  },
  { name: 'rate-limits', dependencies: ['infrastructure'] },
);

/** onRequest hook after `authenticate`: the caller's allowance for what this route does. */
export async function limitUserRequest(request: FastifyRequest): Promise<void> {
  const action = userActionOf(request);
  if (action) await request.server.rateLimits.take(action, request.user.userId);
}

function userActionOf(request: FastifyRequest): LimitedAction | null {
  const declared = request.routeOptions.config.rateLimit;
  if (declared === 'none') return null;
  if (declared) return declared;
  return request.method === 'GET' || request.method === 'HEAD' ? null : 'write';
}

/**
 * onRequest hook for the whole app: what arrives without credentials (a socket's token comes in its query
 * or subprotocol, so every handshake counts) draws on its address's allowance.
 */
export async function limitAnonymousRequest(request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.rateLimit === 'none') return;
  const handshake = request.headers.upgrade?.toLowerCase() === 'websocket';
  if (!handshake && request.headers.authorization !== undefined) return;
  await request.server.rateLimits.take('anonymous', request.ip);
}
