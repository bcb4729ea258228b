// The chatbox's outbox survives a page reload (it lives in localStorage): messages whose sends did not get
// through (one stored but its answer lost on the way back, one never sent) are still there after the
// reader reloads the page, and each is stored and shown once when the sends get through.
import type { Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../support/tokens.ts';
import {
  chatboxUnderTest,
  groupRoom,
  hasChromium,
  messageBodies,
  send,
  signedInWithToken,
} from './support/browser.ts';

const dialogs: string[] = [];

const chatbox = chatboxUnderTest('web_outbox_reload');

const NEVER_ARRIVED = 'gate code is now 4411';
const ANSWER_LOST = 'the old code stops working at noon';

describe.skipIf(!hasChromium)('the outbox in Chromium', () => {
  it('keeps unsent messages through a page reload, then sends each once', async () => {
    const { admin, roomId } = await groupRoom(chatbox.service.app, 'manager', 'Gate codes', ['tech']);
    const { context, page } = await signedInWithToken(
      chatbox.browser,
      chatbox.service.baseUrl,
      await mintToken('tech', { claims: { username: 'Tech' } }),
      dialogs,
    );
    await page.getByRole('button', { name: /Gate codes/ }).click();
    await page.getByLabel('Message', { exact: true }).waitFor();

    // sends fail on the network (the rest of the page, and the socket, still reach the service): the first
    // is stored but its answer never comes back; the second waits behind it (the outbox sends in order)
    const sends = `**/api/chat/rooms/${roomId}/messages/`;
    // a reload (or the unroute) can cancel a retry while its handler is still fetching: that request is
    // gone with its page, and aborting it then says "Route is already handled", which is no failure here
    const failSends = async (route: Route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      try {
        if (route.request().postData()?.includes(ANSWER_LOST)) await route.fetch();
        await route.abort('connectionreset');
      } catch (error) {
        if (!String(error).includes('already handled')) throw error;
      }
    };
    await page.route(sends, failSends);
    await send(page, ANSWER_LOST);
    await send(page, NEVER_ARRIVED);
    const pending = page.locator('.pending-rows');
    await pending.getByText(NEVER_ARRIVED).waitFor();
    await pending.getByText(ANSWER_LOST).waitFor();

    // a reload while the sends still fail: both are still waiting to be sent
    await page.reload();
    await page.getByRole('button', { name: /Gate codes/ }).click();
    await pending.getByText(NEVER_ARRIVED).waitFor();
    await pending.getByText(ANSWER_LOST).waitFor();

    // the network comes back: each is sent (again) with its client id, and stored and shown once
    await page.unroute(sends, failSends);
    await expect.poll(() => pending.count(), { timeout: 20_000 }).toBe(0);
    const rows = messageBodies(page);
    await rows.getByText(NEVER_ARRIVED).waitFor();
    for (const text of [ANSWER_LOST, NEVER_ARRIVED]) {
      expect((await rows.allTextContents()).filter((shown) => shown === text)).toHaveLength(1);
    }
    // the page shows a message from the service's answer, which may come before the read models have it
    const stored = async () =>
      ((await admin.get(`/api/chat/rooms/${roomId}/messages/`)).body.results as { content: string }[]).map(
        (message) => message.content,
      );
    await expect.poll(stored).toEqual([ANSWER_LOST, NEVER_ARRIVED]);
    expect(dialogs).toEqual([]);
    await context.close();
  }, 120_000);
});
