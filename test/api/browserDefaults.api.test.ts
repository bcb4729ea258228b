// What a browser gets with no configuration: every answer says nosniff, /docs runs under a restrictive CSP
// (and still renders, checked in headless Chromium), a WebSocket opens only from the service's own origin
// (native apps send no Origin and are unaffected), and REST sends no CORS headers, so a page of another
// origin cannot read an answer.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const CHROMIUM = '/usr/bin/chromium';
let t: TestApp;
let host: string;

beforeAll(async () => {
  t = await startTestApp('browser_defaults', {}, {}, { projector: false });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  host = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(async () => t?.stop());

describe('X-Content-Type-Options: nosniff', () => {
  it.each([
    ['health', 'GET', '/healthz', {}],
    ['readiness', 'GET', '/readyz', {}],
    ['the OpenAPI document', 'GET', '/openapi.json', {}],
    ['the AsyncAPI document', 'GET', '/asyncapi.json', {}],
    ['the AsyncAPI page', 'GET', '/docs/asyncapi', {}],
    ['Swagger UI', 'GET', '/docs/', {}],
    ["Swagger UI's script", 'GET', '/docs/static/swagger-ui-bundle.js', {}],
    ['a 404 of no route', 'GET', '/nowhere', {}],
    ['a 401', 'GET', '/api/chat/rooms/', {}],
    ['a 400', 'GET', '/api/chat/rooms/not-a-uuid/', 'token'],
    ['a 415', 'POST', '/api/chat/rooms/', 'token'],
  ])('%s', async (_name, method, path, auth) => {
    const headers: Record<string, string> =
      auth === 'token'
        ? { authorization: `Bearer ${await mintToken(randomUUID())}`, 'content-type': 'text/plain' }
        : {};
    const response = await fetch(`http://${host}${path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: 'hello' } : {}),
    });
    await response.arrayBuffer();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('/docs', () => {
  it('is served with a restrictive Content-Security-Policy', async () => {
    const response = await fetch(`http://${host}/docs/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it.skipIf(!existsSync(CHROMIUM))('still renders under it in Chromium, with no violation', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`http://${host}/docs/`);
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
      expect(await page.textContent('.swagger-ui .info .title')).toContain('Chat API');
      await page.waitForSelector('.opblock-tag', { timeout: 20_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
      await page.screenshot({ path: join(tmpdir(), 'chat-docs-under-csp.png'), fullPage: false });

      // a page of the service itself may open a socket (its Origin is the service's own)
      const token = await mintToken(randomUUID());
      const greeting = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onmessage = (event) => resolve(JSON.parse(event.data).type);
            ws.onclose = (event) => resolve(`closed ${event.code}`);
          }),
        `ws://${host}/ws/chat/?token=${token}`,
      );
      expect(greeting).toBe('connection_established');

      // the sockets' AsyncAPI page, linked from the REST reference's description, renders under the CSP too
      // (Swagger UI opens description links in a new tab: follow it here)
      const link = page.locator('.swagger-ui .info a[href="/docs/asyncapi"]');
      expect(await link.count()).toBe(1);
      await page.goto(`http://${host}${await link.getAttribute('href')}`);
      await page.waitForSelector('h1', { timeout: 20_000 });
      expect(await page.textContent('h1')).toContain('Chat WebSocket API');
      expect(await page.locator('.frame h4').count()).toBeGreaterThan(40);
      // its stylesheet applied (a blocked one leaves the browser's default font)
      expect(await page.evaluate('getComputedStyle(document.body).maxWidth')).not.toBe('none');
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('WebSocket origins with no CHAT_ALLOWED_ORIGINS', () => {
  async function upgrade(origin: string | undefined) {
    const socket = openSocket(`ws://${host}/ws/chat/?token=${await mintToken(randomUUID())}`, {
      ...(origin === undefined ? {} : { origin }),
    });
    const status = await new Promise<number>((resolve) => {
      socket.ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.ws.once('open', () => resolve(101));
    });
    socket.ws.terminate();
    return status;
  }

  it('opens for no Origin (a native app) and for a page of the service itself', async () => {
    expect(await upgrade(undefined)).toBe(101);
    expect(await upgrade(`http://${host}`)).toBe(101);
  });

  it('refuses any other origin with 403 before the upgrade', async () => {
    const port = host.split(':')[1];
    for (const origin of [
      'https://evil.example',
      `http://127.0.0.1:${Number(port) + 1}`, // another port is another origin
      `http://localhost:${port}`, // another name for the same machine is too
      'null', // a sandboxed frame, a file
    ]) {
      expect({ origin, status: await upgrade(origin) }).toEqual({ origin, status: 403 });
    }
  });
});

describe('CORS', () => {
  it('sends no Access-Control-* headers: a page of another origin cannot read REST answers', async () => {
    const preflight = await fetch(`http://${host}/api/chat/rooms/`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    const answer = await fetch(`http://${host}/api/chat/attachments/${randomUUID()}/`, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${await mintToken(randomUUID())}` },
    });
    for (const response of [preflight, answer]) {
      await response.arrayBuffer();
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});
