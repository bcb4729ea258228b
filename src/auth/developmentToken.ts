// Access tokens the service signs itself, for development and ops: the chatbox's "sign in as" (only while
// the service runs with the published development secret) and `npm run chat -- token`. The same claims as
// the Django backend's SimpleJWT access tokens, HS256 with the configured secret.
import { SignJWT } from 'jose';
import type { Role } from './tokenVerifier.ts';

export type DevelopmentTokenRequest = {
  userId: string;
  username?: string;
  roles?: readonly Role[];
  /** lifetime in seconds (default one hour) */
  ttlSeconds?: number;
  /** `iss` / `aud`, for a service that requires them (CHAT_JWT_ISSUER / CHAT_JWT_AUDIENCE) */
  issuer?: string;
  audience?: string;
};

const DEFAULT_TTL_SECONDS = 3_600;

export async function mintAccessToken(secret: string, request: DevelopmentTokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    sub: request.userId,
    token_type: 'access',
    ...(request.username ? { username: request.username } : {}),
    ...(request.roles && request.roles.length > 0 ? { roles: [...request.roles] } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? DEFAULT_TTL_SECONDS));
  if (request.issuer) jwt.setIssuer(request.issuer);
  if (request.audience) jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
