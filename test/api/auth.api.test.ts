// Every way an access token can be wrong answers 401 with its own stable code, for HS256 secrets and for
// JWKS; and the ?token= of WebSocket URLs never reaches a log line.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, unsignedToken } from '../support/tokens.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const USER = uuidv4();
const now = () => Math.floor(Date.now() / 1000);
/** an authenticated route whose answer for a valid token is a plain 404 */
const PROTECTED = `/api/chat/attachments/${uuidv4()}/`;

async function answer(t: TestApp, authorization?: string) {
  const response = await t.app.inject({
    method: 'GET',
    url: PROTECTED,
    headers: authorization === undefined ? {} : { authorization },
  });
  return { status: response.statusCode, code: response.json().code, response };
}
const bearer = (token: string) => `Bearer ${token}`;

describe('HS256 tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('auth_hs');
  });
  afterAll(async () => t?.stop());

  it('lets a valid access token through (404 of a missing attachment, not 401)', async () => {
    expect(await answer(t, bearer(await mintToken(USER)))).toMatchObject({ status: 404, code: 'not_found' });
    expect(
      await answer(t, bearer(await mintToken('42', { claims: { sub: undefined, user_id: 42 } }))),
    ).toMatchObject({
      status: 404,
    });
  });

  it('refuses each kind of bad token with 401, problem+json, WWW-Authenticate and a stable code', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'token_missing'],
      ['Basic dXNlcjpwYXNz', 'token_invalid'],
      [bearer('not-a-jwt'), 'token_invalid'],
      [bearer(await mintToken(USER, { expiresIn: -300 })), 'token_expired'],
      [bearer(await mintToken(USER, { claims: { nbf: now() + 600 } })), 'token_not_yet_valid'],
      [bearer(await mintToken(USER, { expiresIn: null })), 'token_claims_invalid'],
      [bearer(await mintToken(USER, { claims: { token_type: 'refresh' } })), 'token_wrong_type'],
      [
        bearer(unsignedToken({ sub: USER, exp: now() + 300, token_type: 'access' })),
        'token_algorithm_not_allowed',
      ],
      [bearer(await mintToken(USER, { secret: 'a-different-secret-of-at-least-32-chars' })), 'token_invalid'],
      [bearer(await mintToken('../../etc/passwd')), 'token_claims_invalid'],
    ];
    for (const [authorization, code] of cases) {
      const { status, code: actual, response } = await answer(t, authorization);
      expect({ authorization, status, code: actual }).toEqual({ authorization, status: 401, code });
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['www-authenticate']).toContain('Bearer');
    }
  });
});

describe('issuer and audience, when configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('auth_iss', {
      CHAT_JWT_ISSUER: 'https://auth.example',
      CHAT_JWT_AUDIENCE: 'chat',
    });
  });
  afterAll(async () => t?.stop());

  it('accepts the right pair and refuses a wrong or missing one', async () => {
    const token = (claims: Record<string, unknown>) => mintToken(USER, { claims });
    expect((await answer(t, bearer(await token({ iss: 'https://auth.example', aud: 'chat' })))).status).toBe(
      404,
    );
    for (const claims of [
      { iss: 'https://evil.example', aud: 'chat' },
      { iss: 'https://auth.example', aud: 'x' },
      {},
    ]) {
      expect(await answer(t, bearer(await token(claims)))).toMatchObject({
        status: 401,
        code: 'token_claims_invalid',
      });
    }
  });
});

describe('JWKS (RS256)', () => {
  let t: TestApp;
  let server: Server;
  let sign: (header: { alg: string; kid?: string }, key?: Parameters<SignJWT['sign']>[0]) => Promise<string>;
  let publicPem: string;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    publicPem = await exportSPKI(publicKey);
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }],
    });
    server = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    // JWKS only: no HS256 secret at all
    t = await startTestApp('auth_jwks', { CHAT_JWT_SECRET: undefined, CHAT_JWKS_URL: url });
    sign = (header, key = privateKey) =>
      new SignJWT({ sub: USER, token_type: 'access' })
        .setProtectedHeader(header)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
  });
  afterAll(async () => {
    await t?.stop();
    server?.close();
  });

  it('accepts a token signed by a key of the JWKS', async () => {
    expect((await answer(t, bearer(await sign({ alg: 'RS256', kid: 'k1' })))).status).toBe(404);
  });

  it('refuses an unknown kid', async () => {
    expect(await answer(t, bearer(await sign({ alg: 'RS256', kid: 'k2' })))).toMatchObject({
      status: 401,
      code: 'token_unknown_key',
    });
  });

  it('refuses HS256 signed with the public key (algorithm confusion) and alg none', async () => {
    const confused = await sign({ alg: 'HS256', kid: 'k1' }, new TextEncoder().encode(publicPem));
    expect(await answer(t, bearer(confused))).toMatchObject({
      status: 401,
      code: 'token_algorithm_not_allowed',
    });
    const none = unsignedToken({ sub: USER, exp: now() + 300 });
    expect(await answer(t, bearer(none))).toMatchObject({ status: 401, code: 'token_algorithm_not_allowed' });
  });
});

describe('JWKS unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // a port nobody listens on: the keys cannot be fetched
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
    await new Promise((resolve) => closed.close(resolve));
    t = await startTestApp('auth_jwks_down', { CHAT_JWT_SECRET: undefined, CHAT_JWKS_URL: url });
  });
  afterAll(async () => t?.stop());

  it('answers 503 auth_unavailable (our fault), not 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: USER })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await answer(t, bearer(token))).toMatchObject({ status: 503, code: 'auth_unavailable' });
  });
});

describe('request logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await startTestApp('auth_logs', { LOG_LEVEL: 'info' }, { logger: { stream } });
  });
  afterAll(async () => t?.stop());

  it('never contain a ?token= value nor the Authorization header', async () => {
    const secret = await mintToken(USER);
    const variants = [
      `?token=${secret}`,
      `?last_seq=3&token=${secret}`,
      `?%74oken=${secret}`,
      `?TOKEN=${secret}`,
    ];
    for (const query of variants) {
      await t.app.inject({ method: 'GET', url: `/ws/chat/${uuidv4()}/${query}` });
      await t.app.inject({
        method: 'GET',
        url: `${PROTECTED}${query}`,
        headers: { authorization: bearer(secret) },
      });
    }
    const log = lines.join('');
    expect(log).toContain('[REDACTED]');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(secret.split('.')[2]);
  });
});
