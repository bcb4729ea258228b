// Mints access tokens for tests: HS256 with the shared test secret by default, any claims overridable.
import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export type TokenOptions = {
  /** claims merged over the defaults ({ sub: userId, username, token_type: 'access' }) */
  claims?: Record<string, unknown>;
  /** seconds from now; null = no exp claim at all */
  expiresIn?: number | null;
  /** `iat`, in seconds from now (default 0: issued now) */
  issuedIn?: number;
  secret?: string;
};

/** A valid access token for `userId` (a uuid or SimpleJWT-style integer id). */
export async function mintToken(userId: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    sub: userId,
    username: `user-${userId.slice(0, 8)}`,
    token_type: 'access',
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now + (options.issuedIn ?? 0));
  const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** A token whose header says alg "none" and carries no signature (jose refuses to make one). */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}
