// The chatbox's production sign-in in Chromium: the service runs with a configured key (no development
// "sign in as") and CHAT_WEB_LOGIN_URL pointing at a small Django-like login (node:http here, answering as
// SimpleJWT's TokenObtainPairView does: {access, refresh}, or 401 with a `detail`). The page signs in
// through it, a wrong password shows the refusal, a pasted token works and a pasted non-token is refused;
// neither the password nor a token ever appears in a URL any server is asked for. The browser's own
// record of every request (HTTP and WebSocket) is what both servers saw; the stub's record and the
// service's request log say the same (the log redacts a ?token= parameter, so none may show there).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../support/tokens.ts';
import { chatboxUnderTest, groupRoom, hasChromium, openChatbox, send } from './support/browser.ts';

const PASSWORD = 'correct horse battery staple';
const DJANGO_USER = { id: 42, username: 'pat' };

type StubRequest = { method: string; url: string; body: string };
let django: { server: Server; url: string; requests: StubRequest[]; issued: string[] };
const dialogs: string[] = [];

beforeAll(async () => {
  django = await startDjangoLogin();
});
afterAll(async () => {
  await new Promise((resolve) => django?.server.close(resolve));
});
/** the URL of every request in the service's request log */
const loggedUrls: string[] = [];
const requestLog = new Writable({
  write(chunk, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const url = (JSON.parse(line) as { req?: { url?: string } }).req?.url;
      if (url) loggedUrls.push(url);
    }
    done();
  },
});
// the default test key: a configured secret, so not the development one
const chatbox = chatboxUnderTest(
  'web_production_sign_in',
  () => ({ CHAT_WEB_LOGIN_URL: `${django.url}/api/token/`, LOG_LEVEL: 'info' }),
  { logger: { stream: requestLog } },
);

/** every URL the page asks for, WebSocket handshakes included */
function recordUrls(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  page.on('websocket', (socket) => urls.push(socket.url()));
  return urls;
}

describe.skipIf(!hasChromium)('production sign-in in Chromium', () => {
  it('signs in through the Django login, shows a refused password, and keeps tokens out of URLs', async () => {
    const { admin: manager, roomId } = await groupRoom(chatbox.service.app, 'manager', 'Leasing office', [
      String(DJANGO_USER.id),
    ]);

    const { context, page } = await openChatbox(chatbox.browser, chatbox.service.baseUrl, dialogs);
    const urls = recordUrls(page);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    // no development sign-in with a configured key
    expect(await page.getByText('Development: sign in as').count()).toBe(0);

    // a wrong password: the login's refusal is shown, nobody is signed in
    await page.getByLabel('User name').fill(DJANGO_USER.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'No active account found with the given credentials' })
      .waitFor();
    expect(await page.getByRole('navigation', { name: 'Rooms' }).count()).toBe(0);

    // the right one: signed in with the token the login answered, which the service accepts
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await page.getByText(DJANGO_USER.username, { exact: true }).waitFor();
    await page.getByRole('button', { name: /Leasing office/ }).click();
    await send(page, 'Signed in through Django');
    await expect
      .poll(async () => {
        const list = await manager.get(`/api/chat/rooms/${roomId}/messages/`);
        return list.body.results.map((m: { sender: { id: string }; content: string }) => [
          m.sender.id,
          m.content,
        ]);
      })
      .toContainEqual([String(DJANGO_USER.id), 'Signed in through Django']);
    await page.locator('.message-rows').getByText('Signed in through Django').waitFor();

    // the login was asked twice, with the credentials in the body only
    const logins = django.requests.filter((request) => request.method === 'POST');
    expect(logins.map((request) => request.url)).toEqual(['/api/token/', '/api/token/']);
    expect(logins.map((request) => JSON.parse(request.body))).toEqual([
      { username: DJANGO_USER.username, password: 'wrong password' },
      { username: DJANGO_USER.username, password: PASSWORD },
    ]);
    expect(django.issued).toHaveLength(2);
    const secrets = [...django.issued, PASSWORD, encodeURIComponent(PASSWORD)];
    // the service, the login and the socket were all asked for something; no URL carries a secret
    expect(urls.some((url) => url.startsWith(`${chatbox.service.baseUrl}/api/chat/`))).toBe(true);
    expect(urls.some((url) => url.startsWith('ws://'))).toBe(true);
    expect(urls.some((url) => url.startsWith(django.url))).toBe(true);
    for (const url of [...urls, ...django.requests.map((request) => request.url), page.url()]) {
      for (const secret of secrets) expect(url).not.toContain(secret);
    }
    // the service's own request log agrees; it would hide a ?token= (redacted), so none may be there either
    expect(loggedUrls.some((url) => url.startsWith('/api/chat/'))).toBe(true);
    for (const url of loggedUrls) {
      for (const secret of secrets) expect(url).not.toContain(secret);
      expect(url).not.toContain('[REDACTED]');
    }
    expect(dialogs).toEqual([]);
    await context.close();
  }, 120_000);

  it('takes a pasted access token, and refuses a pasted non-token', async () => {
    const { context, page } = await openChatbox(chatbox.browser, chatbox.service.baseUrl, dialogs);
    const urls = recordUrls(page);
    const token = page.getByRole('textbox', { name: 'Access token' });
    await token.fill('not-a-token');
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('alert').filter({ hasText: 'that is not an access token' }).waitFor();

    const pasted = await mintToken('pasted-user', { claims: { username: 'Pasted User' } });
    await token.fill(pasted);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await page.getByText('Pasted User', { exact: true }).waitFor();
    // the service accepted it: the room list came from REST and the socket opened
    await expect.poll(() => urls.some((url) => url.startsWith('ws://'))).toBe(true);
    expect(await page.getByRole('status').count()).toBe(0);
    for (const url of [...urls, page.url(), ...loggedUrls]) expect(url).not.toContain(pasted);
    await context.close();
  }, 60_000);
});

/** SimpleJWT's token endpoint, as far as the chatbox uses it, with CORS for the chatbox's origin */
async function startDjangoLogin() {
  const requests: StubRequest[] = [];
  const issued: string[] = [];
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    requests.push({ method: request.method ?? '', url: request.url ?? '', body });
    response.setHeader('access-control-allow-origin', request.headers.origin ?? '*');
    response.setHeader('vary', 'Origin');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
      });
      response.end();
      return;
    }
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (request.method !== 'POST' || request.url !== '/api/token/')
      return json(404, { detail: 'Not found.' });
    const credentials = JSON.parse(body || '{}') as { username?: string; password?: string };
    if (credentials.username !== DJANGO_USER.username || credentials.password !== PASSWORD) {
      return json(401, { detail: 'No active account found with the given credentials' });
    }
    // SimpleJWT's claims: user_id (an integer), token_type, jti; the username as this backend adds it
    const access = await mintToken(String(DJANGO_USER.id), {
      claims: { sub: undefined, user_id: DJANGO_USER.id, username: DJANGO_USER.username, jti: randomUUID() },
    });
    const refresh = await mintToken(String(DJANGO_USER.id), {
      claims: { sub: undefined, user_id: DJANGO_USER.id, token_type: 'refresh', jti: randomUUID() },
      expiresIn: 86_400,
    });
    issued.push(access, refresh);
    return json(200, { access, refresh });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests, issued };
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
