// The chatbox's page as the service serves it (headers, compression, caching), and the development
// sign-in route, which exists only while the service runs with the published development secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebIfStale } from '../../web/build.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let configured: TestApp;
let development: TestApp;
beforeAll(async () => {
  await buildWebIfStale();
  configured = await startTestApp('web_page_configured', {}, {}, { projector: false });
  development = await startTestApp('web_page_dev', { CHAT_JWT_SECRET: undefined });
}, 120_000);
afterAll(async () => {
  await configured?.stop();
  await development?.stop();
});

describe('the chatbox page', () => {
  it('is served at / under a strict CSP, revalidated, and compressed for browsers that take it', async () => {
    const page = await configured.app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, br' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");

    const html = (await configured.app.inject({ url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await configured.app.inject({ url: script!, headers: { 'accept-encoding': 'gzip' } });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('offers "sign in as" only with the development secret', async () => {
    const devConfig = await development.app.inject({ url: '/api/web/config/' });
    expect(devConfig.json()).toMatchObject({ development_sign_in: true });
    const minted = await development.app.inject({
      method: 'POST',
      url: '/api/web/development-token/',
      payload: { user_id: 'alice', username: 'Alice' },
    });
    expect(minted.statusCode).toBe(200);
    const rooms = await development.app.inject({
      url: '/api/chat/rooms/',
      headers: { authorization: `Bearer ${minted.json().access}` },
    });
    expect(rooms.statusCode).toBe(200);

    expect((await configured.app.inject({ url: '/api/web/config/' })).json()).toMatchObject({
      development_sign_in: false,
    });
    const refused = await configured.app.inject({
      method: 'POST',
      url: '/api/web/development-token/',
      payload: { user_id: 'alice', username: 'Alice' },
    });
    expect(refused.statusCode).toBe(404);
  });
});
