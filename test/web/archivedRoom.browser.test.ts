// An archived room in the chatbox (Chromium through playwright-core, against the real service): while the
// room's admin archives it over REST, the other participant's open page swaps the composer for "This room
// is archived" without a reload, offers no reply, edit or reaction, still shows the history, and says the
// same after a reload; unarchiving brings the composer back live and sending works again.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebIfStale } from '../../web/build.ts';
import { type RestartableService, startRestartableService } from '../support/restartableService.ts';
import { mintToken } from '../support/tokens.ts';
import {
  groupRoom,
  hasChromium,
  launchChromium,
  messageBodies,
  send,
  signedInWithToken,
} from './support/browser.ts';

let service: RestartableService;
let browser: Browser;
const dialogs: string[] = [];

beforeAll(async () => {
  await buildWebIfStale();
  service = await startRestartableService('web_archived_room');
  if (hasChromium) browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await service?.dispose();
});

describe.skipIf(!hasChromium)('an archived room in Chromium', () => {
  it('the composer goes away live when an admin archives the room, and comes back on unarchive', async () => {
    const { admin, roomId } = await groupRoom(service.app, 'manager', 'Boiler room 3', ['tech']);
    const sent = await admin.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: 'Boiler serviced',
      client_id: 'a-1',
    });
    expect(sent.status).toBe(201);

    const tech = await signedInWithToken(
      browser,
      service.baseUrl,
      await mintToken('tech', { claims: { username: 'Tech' } }),
      dialogs,
    );
    const { page } = tech;
    await page.getByRole('button', { name: /Boiler room 3/ }).click();
    await page.locator('.message-rows').getByText('Boiler serviced').waitFor();
    const composer = page.getByLabel('Message', { exact: true });
    await composer.waitFor();
    // a reply begun before the archive: it cannot be finished once the room is archived
    await page.getByRole('button', { name: 'Reply' }).click();
    await composer.fill('half-written reply');

    // archived over REST: the open page follows the room_archived frame, no reload
    expect((await admin.post(`/api/chat/rooms/${roomId}/archive/`)).status).toBe(200);
    await page.getByRole('status').filter({ hasText: 'This room is archived' }).waitFor();
    await expect.poll(() => composer.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Send' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reply' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^React / }).count()).toBe(0);
    expect(await messageBodies(page).allTextContents()).toEqual(['Boiler serviced']);
    expect(await page.getByRole('button', { name: /Boiler room 3/ }).textContent()).toContain('archived');

    // opened afresh (a reload): the archived room is still listed, readable, and says it is archived
    await page.reload();
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await page.getByRole('button', { name: /Boiler room 3/ }).click();
    await page.locator('.message-rows').getByText('Boiler serviced').waitFor();
    await page.getByRole('status').filter({ hasText: 'This room is archived' }).waitFor();
    expect(await composer.count()).toBe(0);

    // unarchived: the composer is back without a reload, and a message goes through
    expect((await admin.post(`/api/chat/rooms/${roomId}/unarchive/`)).status).toBe(200);
    await composer.waitFor();
    expect(await page.getByText('This room is archived').count()).toBe(0);
    expect(await composer.inputValue()).toBe('');
    await send(page, 'Back in service');
    await expect
      .poll(async () => {
        const list = await admin.get(`/api/chat/rooms/${roomId}/messages/`);
        return list.body.results.map((message: { content: string }) => message.content);
      })
      .toContain('Back in service');
    await page.locator('.message-rows').getByText('Back in service').waitFor();
    expect(dialogs).toEqual([]);
    await tech.context.close();
  }, 120_000);
});
