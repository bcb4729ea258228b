// What the chatbox's browser tests share: Debian's Chromium through playwright-core, a page per user in a
// context of its own (dialogs recorded, never left open), the development "sign in as", sending from the
// composer, the shown message texts, and axe-core run without touching the page's CSP.
import { existsSync, mkdirSync } from 'node:fs';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { App, AppOverrides } from '../../../src/app.ts';
import { buildWebIfStale } from '../../../web/build.ts';
import { clientFor, type UserClient } from '../../api/support/client.ts';
import { type RestartableService, startRestartableService } from '../../support/restartableService.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** screenshots and other files a run leaves for people to look at (not in git) */
export const ARTIFACTS = 'test-artifacts';
export const hasChromium = existsSync(CHROMIUM);

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export type ChatboxUnderTest = { readonly service: RestartableService; readonly browser: Browser };

/**
 * The service (web/ built if stale, a database of its own named by `label`) and Chromium, for the test
 * file that calls this: started before its tests and stopped after them. `env` is read when the service
 * starts, so it may name what an earlier beforeAll started; `overrides` go to every start's app.
 */
export function chatboxUnderTest(
  label: string,
  env: () => Record<string, string | undefined> = () => ({}),
  overrides: AppOverrides = {},
): ChatboxUnderTest {
  const running = {} as { service: RestartableService; browser: Browser };
  beforeAll(async () => {
    await buildWebIfStale();
    running.service = await startRestartableService(label, env(), overrides);
    if (hasChromium) running.browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await running.browser?.close();
    await running.service?.dispose();
  });
  return running;
}

export type UserPage = { context: BrowserContext; page: Page };

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** a fresh context on the chatbox; every dialog a page opens is dismissed and its text kept in `dialogs` */
export async function openChatbox(
  browser: Browser,
  baseUrl: string,
  dialogs: string[],
  viewport = DESKTOP,
): Promise<UserPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${baseUrl}/`);
  return { context, page };
}

/** signed in through the development "sign in as" form (the service runs with the development secret) */
export async function signedInAs(
  browser: Browser,
  baseUrl: string,
  user: { id: string; name: string },
  dialogs: string[],
  viewport = DESKTOP,
): Promise<UserPage> {
  const opened = await openChatbox(browser, baseUrl, dialogs, viewport);
  await opened.page.getByLabel('User id').fill(user.id);
  await opened.page.getByLabel('Name').fill(user.name);
  await opened.page.getByRole('button', { name: 'Sign in as this user' }).click();
  await opened.page.getByRole('navigation', { name: 'Rooms' }).waitFor();
  return opened;
}

/** the text of every message row in the DOM */
export const messageBodies = (page: Page) => page.locator('.message-rows .message .body');

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

export async function axeViolations(page: Page): Promise<string[]> {
  // evaluated over the DevTools protocol: the page's CSP (no inline script) stays as it is
  await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: typeof axe }).axe.run(
      (globalThis as unknown as { document: unknown }).document as never,
    );
    return result.violations.map(
      (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target).join(' ')}`,
    );
  });
}

/** signed in through the "paste an access token" form (any mode: the service verifies the token) */
export async function signedInWithToken(
  browser: Browser,
  baseUrl: string,
  token: string,
  dialogs: string[],
  viewport = DESKTOP,
): Promise<UserPage> {
  const opened = await openChatbox(browser, baseUrl, dialogs, viewport);
  await opened.page.getByRole('textbox', { name: 'Access token' }).fill(token);
  await opened.page.getByRole('button', { name: 'Use this token' }).click();
  await opened.page.getByRole('navigation', { name: 'Rooms' }).waitFor();
  return opened;
}

/** a group room created over REST by `adminId` (so its admin) with `participantIds` in it */
export async function groupRoom(
  app: App,
  adminId: string,
  name: string,
  participantIds: string[],
): Promise<{ admin: UserClient; roomId: string }> {
  const admin = await clientFor(app, adminId, { username: adminId });
  const created = await admin.post('/api/chat/rooms/', {
    room_type: 'group',
    name,
    participant_ids: participantIds,
  });
  // 202: made, but the read models are behind (a loaded machine); the id is there either way
  expect([201, 202]).toContain(created.status);
  return { admin, roomId: created.body.id };
}
