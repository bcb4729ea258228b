import { describe, expect, it } from 'vitest';
import { mintAccessToken } from './developmentToken.ts';
import { createTokenVerifier } from './tokenVerifier.ts';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('tokens the service mints', () => {
  it('verify as the Django backend’s access tokens do, with the roles and name asked for', async () => {
    const token = await mintAccessToken(SECRET, {
      userId: '42',
      username: 'alice',
      roles: ['ops'],
      ttlSeconds: 60,
    });
    const user = await createTokenVerifier({ CHAT_JWT_SECRET: SECRET })(token);
    expect(user).toMatchObject({ userId: '42', username: 'alice', roles: ['ops'] });
    expect(user.expiresAt.getTime() - Date.now()).toBeGreaterThan(50_000);
    expect(user.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
  });
});
