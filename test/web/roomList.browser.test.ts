// The room list and the open room in Chromium, as a property manager's colleague sees them: a direct room
// named after the other person, a task room with its task, a new message moving its room to the top with
// an unread badge and a preview, the badge gone once the room is read, one screen-reader announcement per
// new message, and Escape giving up an edit without changing the message.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { clientFor } from '../api/support/client.ts';
import { mintToken } from '../support/tokens.ts';
import { chatboxUnderTest, hasChromium, messageBodies, send, signedInWithToken } from './support/browser.ts';

const dialogs: string[] = [];

const chatbox = chatboxUnderTest('web_room_list');

/** the room list's entries, top to bottom, by their titles */
const roomTitles = (page: Page) => page.locator('.rooms .room-title bdi').allTextContents();

describe.skipIf(!hasChromium)('the room list in Chromium', () => {
  it('names rooms, reorders them live with unread badges, announces once, and Escape cancels an edit', async () => {
    const manager = await clientFor(chatbox.service.app, 'manager', { username: 'Manager' });
    const create = async (body: object) => {
      // 201: the read models show the room (202 would mean they lag by seconds: the list would miss it)
      const created = await manager.post('/api/chat/rooms/', { participant_ids: ['tech'], ...body });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const boiler = await create({ room_type: 'group', name: 'Boiler room' });
    await create({ room_type: 'task', name: 'Leaking tap', task: 'T-17' });
    await create({ room_type: 'direct' });

    const { context, page } = await signedInWithToken(
      chatbox.browser,
      chatbox.service.baseUrl,
      await mintToken('tech', { claims: { username: 'Tech' } }),
      dialogs,
    );
    // the direct room is named after the other person; the task room shows its task
    await page.getByRole('button', { name: /^Manager/ }).waitFor();
    await page.getByRole('button', { name: /Leaking tap.*Task T-17/ }).waitFor();
    // newest activity first: the boiler room was created first, so it is last
    await expect.poll(() => roomTitles(page)).toEqual(['Manager', 'Leaking tap', 'Boiler room']);

    // a message in the boiler room moves it to the top, with a badge and the message as its preview
    const sent = await manager.post(`/api/chat/rooms/${boiler}/messages/`, {
      content: 'Pressure is low again',
      client_id: 'm-1',
    });
    expect(sent.status).toBe(201);
    const boilerItem = page.getByRole('button', { name: /Boiler room/ });
    await boilerItem.getByText('1 unread').waitFor();
    await boilerItem.getByText('Manager: Pressure is low again').waitFor();
    expect(await roomTitles(page)).toEqual(['Boiler room', 'Manager', 'Leaking tap']);

    // opened at the newest message, the room is read: the badge goes
    await boilerItem.click();
    await messageBodies(page).getByText('Pressure is low again').waitFor();
    await expect.poll(() => boilerItem.locator('.badge').count(), { timeout: 20_000 }).toBe(0);

    // a new message while the room is open: announced once, as who said what
    const live = page.locator('[aria-live="polite"]');
    await manager.post(`/api/chat/rooms/${boiler}/messages/`, { content: 'Fixed it', client_id: 'm-2' });
    await messageBodies(page).getByText('Fixed it').waitFor();
    await live.getByText('Manager: Fixed it').waitFor();
    expect(await live.getByText('Fixed it').count()).toBe(1);

    // Escape gives up an edit: the composer empties and the message stays as it was
    await send(page, 'On my way');
    const own = page.locator('.message.own').filter({ hasText: 'On my way' });
    await own.getByRole('button', { name: 'Edit' }).waitFor();
    await own.getByRole('button', { name: 'Edit' }).click();
    const composer = page.getByLabel('Message', { exact: true });
    await expect.poll(() => composer.inputValue()).toBe('On my way');
    await composer.fill('On my way, 5 minutes');
    await composer.press('Escape');
    await expect.poll(() => composer.inputValue()).toBe('');
    await composer.fill('Arrived');
    await composer.press('Enter');
    await messageBodies(page).getByText('Arrived').waitFor();
    const texts = await messageBodies(page).allTextContents();
    expect(texts).toContain('On my way');
    expect(texts).not.toContain('On my way, 5 minutes');
    expect(await own.getByRole('button', { name: '(edited)' }).count()).toBe(0);

    expect(dialogs).toEqual([]);
    await context.close();
  }, 120_000);
});
