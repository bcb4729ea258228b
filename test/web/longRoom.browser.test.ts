// A room of 10,000 messages in the chatbox (Chromium through playwright-core, against the real service):
// it opens at the newest message with only the rows near the screen in the DOM, and scrolling up loads
// older pages by cursor (?before=<seq>) while the message at the top of the view stays where it was, page
// after page, and the DOM stays bounded however much is loaded. No timing is asserted: the budget for
// opening such a room is measured by `npm run bench -- web`.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { clientFor } from '../api/support/client.ts';
import { mintToken } from '../support/tokens.ts';
import { chatboxUnderTest, groupRoom, hasChromium, signedInWithToken } from './support/browser.ts';

const COUNT = 10_000;
/** how many older pages the test scrolls through (a page is 50 messages) */
const PAGES_SCROLLED = 20;
/** the window keeps about a screen and 800 px either side: at most a few dozen rows, never the pages */
const MAX_ROWS_IN_DOM = 80;

/** the little of the page's DOM the functions run in it use (the tests compile without the DOM library) */
type Box = { top: number; bottom: number };
type Row = { dataset: { id?: string }; scrollTop: number; getBoundingClientRect(): Box };
type PageGlobals = {
  document: { querySelector(selector: string): Row | null; querySelectorAll(selector: string): Row[] };
  requestAnimationFrame(callback: () => void): void;
};

const dialogs: string[] = [];

const chatbox = chatboxUnderTest('web_long_room');

/** `count` messages from `userId`, 32 in flight at once, through the command every REST send runs */
async function sendMany(userId: string, roomId: string, count: number, label: string): Promise<void> {
  const ctx = { eventStore: chatbox.service.app.eventStore, actor: { userId, roles: [] } };
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const n = next++;
        await sendMessage(ctx, { roomId, content: contentOf(n, label), clientId: `${label}-${n}` });
      }
    }),
  );
}

/** rows of different heights: one to four lines, so the window cannot get away with one row height */
const contentOf = (n: number, label = 'message') =>
  [
    `${label} ${n}`,
    ...Array.from({ length: n % 4 }, (_, line) => `line ${line + 2} ${'of text '.repeat(n % 9)}`),
  ]
    .join('\n')
    .trim();

/**
 * Scrolls the message area to `scrollTop` (if given) and reads, in the same task (before anything can
 * render), the first row whose bottom is below the area's top and how far below that top it starts.
 */
const topRow = (page: Page, scrollTop: number | null = null) =>
  page.evaluate((to) => {
    const { document } = globalThis as unknown as PageGlobals;
    const scroller = document.querySelector('.messages')!;
    if (to !== null) scroller.scrollTop = to;
    const top = scroller.getBoundingClientRect().top;
    for (const row of document.querySelectorAll('.message-rows > li[data-id]')) {
      const box = row.getBoundingClientRect();
      if (box.bottom > top + 1) return { id: row.dataset.id!, offset: box.top - top };
    }
    return null;
  }, scrollTop);

/** where the row `id` starts below the top of the message area, null when it is not in the DOM */
const offsetOf = (page: Page, id: string) =>
  page.evaluate((rowId) => {
    const { document } = globalThis as unknown as PageGlobals;
    const row = document.querySelector(`.message-rows > li[data-id="${rowId}"]`);
    const top = document.querySelector('.messages')!.getBoundingClientRect().top;
    return row ? row.getBoundingClientRect().top - top : null;
  }, id);

/** two animation frames: what a scroll or a fetched page changes has been rendered and laid out */
const settled = (page: Page) =>
  page.evaluate(() => {
    const { requestAnimationFrame: nextFrame } = globalThis as unknown as PageGlobals;
    return new Promise((resolve) => nextFrame(() => nextFrame(() => resolve(null))));
  });

const rowsInDom = (page: Page) => page.locator('.message-rows > li').count();

describe.skipIf(!hasChromium)('a room of 10,000 messages in Chromium', () => {
  it('is windowed, and older pages load by cursor above the reader without moving what they read', async () => {
    const { admin, roomId } = await groupRoom(chatbox.service.app, 'writer', 'Ten thousand', ['reader']);
    await sendMany('writer', roomId, COUNT, 'message');
    // projected: the newest page of the read model is the newest of the 10,000
    const newestIs = async () =>
      (await admin.get(`/api/chat/rooms/${roomId}/messages/?limit=1`)).body.results[0] as {
        id: string;
        seq: number;
      };
    await expect
      .poll(async () => (await admin.get(`/api/chat/rooms/${roomId}/`)).body.last_seq, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(COUNT);
    const newest = await newestIs();

    const { context, page } = await signedInWithToken(
      chatbox.browser,
      chatbox.service.baseUrl,
      await mintToken('reader', { claims: { username: 'Reader' } }),
      dialogs,
    );
    const cursors: number[] = [];
    let loaded = 0;
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (!url.pathname.endsWith(`/rooms/${roomId}/messages/`)) return;
      const before = url.searchParams.get('before');
      if (before !== null) cursors.push(Number(before));
      loaded += ((await response.json()) as { results: unknown[] }).results.length;
    });

    // opened at the newest message, with only the rows near the screen in the DOM
    await page.getByRole('button', { name: /Ten thousand/ }).click();
    const newestRow = page.locator(`.message-rows > li[data-id="${newest.id}"]`);
    await newestRow.waitFor();
    await settled(page);
    // at the bottom: the newest row ends inside the message area
    const newestBottom = await page.evaluate((id) => {
      const { document } = globalThis as unknown as PageGlobals;
      const area = document.querySelector('.messages')!.getBoundingClientRect();
      const row = document.querySelector(`.message-rows > li[data-id="${id}"]`)!.getBoundingClientRect();
      return { row: row.bottom, area: area.bottom, areaTop: area.top };
    }, newest.id);
    expect(newestBottom.row).toBeLessThanOrEqual(newestBottom.area + 1);
    expect(newestBottom.row).toBeGreaterThan(newestBottom.areaTop);
    expect(await rowsInDom(page)).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);

    for (let pageNo = 1; pageNo <= PAGES_SCROLLED; pageNo += 1) {
      // the reader scrolls up to just short of where the next page is asked for: nothing loads yet
      await topRow(page, 400);
      await settled(page);
      expect(cursors).toHaveLength(pageNo - 1);
      // a little further: the older page is asked for; the row at the top now must stay where it is
      const older = page.waitForResponse((response) => response.url().includes('before='));
      const anchor = await topRow(page, 250);
      expect(anchor).not.toBeNull();
      await older;
      await expect.poll(() => loaded).toBe(50 * (pageNo + 1));
      // the page has taken it in once the view has moved down by the rows put above (50 rows: > 1,000 px)
      await expect
        .poll(() => page.locator('.messages').evaluate((scroller) => scroller.scrollTop), {
          message: `page ${pageNo}: the view did not follow the rows prepended above it`,
        })
        .toBeGreaterThan(1_000);
      await settled(page);
      const offset = await offsetOf(page, anchor!.id);
      expect(offset, `page ${pageNo}: the top row left the DOM`).not.toBeNull();
      expect(Math.abs(offset! - anchor!.offset), `page ${pageNo}: the top row moved`).toBeLessThanOrEqual(1);
      expect(await rowsInDom(page)).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
    }

    // page by page by cursor: each older page asked for before the oldest seq loaded so far
    expect(cursors).toHaveLength(PAGES_SCROLLED);
    for (let i = 1; i < cursors.length; i += 1) expect(cursors[i]).toBeLessThan(cursors[i - 1]!);
    expect(cursors[0]).toBeLessThanOrEqual(newest.seq);
    expect(await rowsInDom(page)).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
    expect(dialogs).toEqual([]);
    await context.close();
  }, 240_000);

  it('jumps to the first unread message, paging back to it, and shows it at the top of the view', async () => {
    const { admin: writer, roomId } = await groupRoom(chatbox.service.app, 'writer', 'Backlog', ['reader']);
    const reader = await clientFor(chatbox.service.app, 'reader', { username: 'Reader' });
    const room = () => reader.get(`/api/chat/rooms/${roomId}/`);
    await sendMany('writer', roomId, 100, 'read');
    await expect
      .poll(async () => (await room()).body.last_seq, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(100);
    const lastRead = (await writer.get(`/api/chat/rooms/${roomId}/messages/?limit=1`)).body.results[0];
    expect((await reader.post(`/api/chat/rooms/${roomId}/mark-read/`)).status).toBe(200);
    // more than the first page and a few more: the jump must page back by cursor to reach the first unread
    await sendMany('writer', roomId, 400, 'unread');
    await expect.poll(async () => (await room()).body.unread_count, { timeout: 30_000 }).toBe(400);
    const firstUnread = (
      await writer.get(`/api/chat/rooms/${roomId}/messages/?after=${lastRead.seq}&limit=1`)
    ).body.results[0];
    expect(firstUnread.content).toMatch(/^unread /);

    const { context, page } = await signedInWithToken(
      chatbox.browser,
      chatbox.service.baseUrl,
      await mintToken('reader', { claims: { username: 'Reader' } }),
      dialogs,
    );
    await page.getByRole('button', { name: /Backlog/ }).click();
    // opened at the newest message (which marks the room read): the way back to where unread began stays
    const jump = page.getByRole('button', { name: 'Jump to first unread (400)' });
    await expect.poll(async () => (await room()).body.unread_count).toBe(0);
    await jump.click();
    const row = page.locator(`.message-rows > li[data-id="${firstUnread.id}"]`);
    await row.waitFor();
    await settled(page);
    await settled(page);
    const offset = await offsetOf(page, firstUnread.id);
    expect(offset).not.toBeNull();
    expect(Math.abs(offset!)).toBeLessThanOrEqual(1);
    expect(await rowsInDom(page)).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
    expect(await jump.count()).toBe(0);
    await context.close();
  }, 120_000);
});
