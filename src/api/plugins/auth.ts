// fastify.verifyToken (shared with the WebSocket endpoints) and the `authenticate` hook REST subtrees
// install: Authorization: Bearer <jwt> → request.user, or a 401 problem with the AuthError's code.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AuthError, type AuthenticatedUser, type TokenVerifier } from '../../auth/tokenVerifier.ts';

declare module 'fastify' {
  interface FastifyInstance {
    verifyToken: TokenVerifier;
  }
  interface FastifyRequest {
    /** set by `authenticate`; only read it in routes under that hook */
    user: AuthenticatedUser;
  }
}

export type AuthPluginOptions = { verifyToken: TokenVerifier };

export const authPlugin = fp<AuthPluginOptions>(
  async (fastify, options) => {
    fastify.decorate('verifyToken', options.verifyToken);
    fastify.decorateRequest('user', null as unknown as AuthenticatedUser);
  },
  { name: 'auth' },
);

/** onRequest hook for authenticated subtrees. */
export async function authenticate(request: FastifyRequest): Promise<void> {
  request.user = await request.server.verifyToken(bearerToken(request.headers.authorization));
  request.server.connectionGuard.authenticated(request.raw.socket);
}

function bearerToken(header: string | undefined): string {
  if (!header) throw new AuthError('token_missing', 'Send Authorization: Bearer <access token>');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new AuthError('token_invalid', 'The Authorization header is not "Bearer <token>"');
  return match[1]!;
}
