import { describe, expect, it } from 'vitest';
import { mintToken, TEST_JWT_SECRET, unsignedToken } from '../../test/support/tokens.ts';
import { AuthError, createTokenVerifier } from './tokenVerifier.ts';

const verify = createTokenVerifier({ CHAT_JWT_SECRET: TEST_JWT_SECRET });
const USER = '6a1f8f0e-2b4c-4d5e-8f70-1a2b3c4d5e6f';

async function refusal(token: string, verifier = verify): Promise<string> {
  const error = await verifier(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return (error as AuthError).code;
}

describe('createTokenVerifier (HS256)', () => {
  it('accepts an access token and reads user id, username and known roles', async () => {
    const token = await mintToken(USER, { claims: { username: 'alice', roles: ['moderator', 'root'] } });
    const user = await verify(token);
    expect(user).toMatchObject({ userId: USER, username: 'alice', roles: ['moderator'] });
    expect(user.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("takes SimpleJWT's integer user_id when there is no sub", async () => {
    const token = await mintToken(USER, { claims: { sub: undefined, user_id: 42 } });
    expect((await verify(token)).userId).toBe('42');
  });

  it('refuses each broken token with its own code', async () => {
    expect(await refusal('')).toBe('token_missing');
    expect(await refusal('not.a.jwt')).toBe('token_invalid');
    expect(await refusal(await mintToken(USER, { expiresIn: -120 }))).toBe('token_expired');
    expect(await refusal(await mintToken(USER, { expiresIn: null }))).toBe('token_claims_invalid');
    expect(
      await refusal(await mintToken(USER, { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })),
    ).toBe('token_not_yet_valid');
    expect(await refusal(await mintToken(USER, { claims: { token_type: 'refresh' } }))).toBe(
      'token_wrong_type',
    );
    expect(
      await refusal(await mintToken(USER, { secret: 'another-secret-that-is-at-least-32-chars!' })),
    ).toBe('token_invalid');
    const exp = Math.floor(Date.now() / 1000) + 300;
    expect(await refusal(unsignedToken({ sub: USER, exp }))).toBe('token_algorithm_not_allowed');
  });

  it('refuses a token issued in the future beyond the clock tolerance (30 s)', async () => {
    expect(await refusal(await mintToken(USER, { issuedIn: 600 }))).toBe('token_not_yet_valid');
    expect(await refusal(await mintToken(USER, { issuedIn: 45 }))).toBe('token_not_yet_valid');
    // a clock a little ahead is tolerated, as for nbf and exp
    expect((await verify(await mintToken(USER, { issuedIn: 20 }))).userId).toBe(USER);
  });

  it('refuses an iat or nbf that is not a number as invalid claims, not as "not yet valid"', async () => {
    expect(await refusal(await mintToken(USER, { claims: { nbf: 'soon' } }))).toBe('token_claims_invalid');
  });

  it('refuses user ids that are not a uuid or a short opaque id', async () => {
    expect(await refusal(await mintToken("1' OR '1'='1"))).toBe('token_claims_invalid');
    expect(await refusal(await mintToken(USER, { claims: { sub: undefined } }))).toBe('token_claims_invalid');
  });

  it.each([
    ['a NUL', 'al\u0000ice'],
    ['a lone surrogate', 'alice \ud83d'],
    ['a bidi override', 'ecila\u202e'],
    ['a zero-width space', 'ali\u200bce'],
    ['a line feed', 'alice\nAdmin'],
  ])('refuses a username with %s (token_claims_invalid), as every name', async (_, username) => {
    expect(await refusal(await mintToken(USER, { claims: { username } }))).toBe('token_claims_invalid');
  });

  it('accepts usernames in any script, with emoji and the joiners they need', async () => {
    for (const username of ['Zoë Ødegård', 'محمد', 'می‌خواهم', '李小龍', 'Sam 👩‍💻']) {
      expect((await verify(await mintToken(USER, { claims: { username } }))).username).toBe(username);
    }
  });

  it('checks issuer and audience when they are configured', async () => {
    const strict = createTokenVerifier({
      CHAT_JWT_SECRET: TEST_JWT_SECRET,
      CHAT_JWT_ISSUER: 'https://auth.example',
      CHAT_JWT_AUDIENCE: 'chat',
    });
    const good = await mintToken(USER, { claims: { iss: 'https://auth.example', aud: 'chat' } });
    expect((await strict(good)).userId).toBe(USER);
    expect(
      await refusal(await mintToken(USER, { claims: { iss: 'https://evil.example', aud: 'chat' } }), strict),
    ).toBe('token_claims_invalid');
    expect(await refusal(await mintToken(USER, { claims: { iss: 'https://auth.example' } }), strict)).toBe(
      'token_claims_invalid',
    );
  });
});
