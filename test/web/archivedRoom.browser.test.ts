import { describe, expect, it } from 'vitest';
import { mintToken } from '../support/tokens.ts';
import {
  ARTIFACTS,
  axeViolations,
  chatboxUnderTest,
  groupRoom,
  hasChromium,
  messageBodies,
  send,
  signedInWithToken,
} from './support/browser.ts';

const dialogs: string[] = [];

const chatbox = chatboxUnderTest('web_archived_room');

describe.skipIf(!hasChromium)('an archived room in Chromium', () => {
  it('the composer goes away live when an admin archives the room, and comes back on unarchive', async () => {
    const { admin, roomId } = await groupRoom(chatbox.service.app, 'manager', 'Boiler room 3', ['tech']);
    const sent = await admin.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: 'Boiler serviced',
      client_id: 'a-1',
    });
    expect(sent.status).toBe(201);

    const tech = await signedInWithToken(
      chatbox.browser,
      chatbox.service.baseUrl,
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
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/chatbox-archived-room-1440x900.png` });

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
