// `npm run bench -- web [--messages=10000]`: the chatbox's budget (issue 14). JavaScript shipped on first
// load (gzipped, as served), time to interactive on localhost (navigation start to the sign-in form ready,
// and to the room list after signing in), and opening a room of N messages to its first screen rendered.
// Chromium headless (/usr/bin/chromium) against the real service in development mode.
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { startRestartableService } from '../test/support/restartableService.ts';
import { buildWebIfStale } from '../web/build.ts';

const ASSETS = new URL('../web/dist/assets/', import.meta.url);

/** in the page, when the room was clicked, its newest row was in the DOM, and the frame after that ran */
type OpenTimes = { click?: number; rows?: number; frame?: number };
/** the little of the page the function run in it uses (the benchmarks compile without the DOM library) */
type PageGlobals = {
  document: {
    body: unknown;
    addEventListener(type: string, listener: () => void, options: { capture: boolean }): void;
    querySelector(selector: string): { textContent: string | null } | null;
  };
  MutationObserver: new (
    callback: () => void,
  ) => { observe(target: unknown, options: object): void; disconnect(): void };
  requestAnimationFrame(callback: () => void): void;
  performance: { now(): number };
};

export async function main(args: string[]): Promise<void> {
  const count = Number(args.find((arg) => arg.startsWith('--messages='))?.split('=')[1] ?? 10_000);
  await buildWebIfStale();
  const gz = readdirSync(ASSETS).filter((file) => file.endsWith('.js.gz'));
  const jsGzipBytes = gz.reduce((sum, file) => sum + statSync(new URL(file, ASSETS)).size, 0);

  // the room is seeded faster than a person sends: the per-user send limit would refuse most of it
  const service = await startRestartableService('bench_web', {
    CHAT_JWT_SECRET: undefined,
    RATE_LIMITS: 'off',
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const token = async (userId: string) => {
      const response = await fetch(`${service.baseUrl}/api/web/development-token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: userId, username: userId }),
      });
      return ((await response.json()) as { access: string }).access;
    };
    const auth = {
      authorization: `Bearer ${await token('bench-reader')}`,
      'content-type': 'application/json',
    };
    const room = (await (
      await fetch(`${service.baseUrl}/api/chat/rooms/`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ room_type: 'group', name: `${count} messages` }),
      })
    ).json()) as { id: string };
    let next = 0;
    const seedStart = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const n = next++;
          const sent = await fetch(`${service.baseUrl}/api/chat/rooms/${room.id}/messages/`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              content: `message ${n} ${'lorem ipsum '.repeat(n % 7)}`,
              client_id: `m-${n}`,
            }),
          });
          if (sent.status !== 201)
            throw new Error(`seeding message ${n}: ${sent.status} ${await sent.text()}`);
        }
      }),
    );
    console.error(`seeded ${count} messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    // the room is opened once the message waited for is projected (the feed is projected in order): else it
    // arrives later over the socket, and the time measured is the projector catching up, not the opening
    for (;;) {
      const newest = await fetch(`${service.baseUrl}/api/chat/rooms/${room.id}/messages/`, { headers: auth });
      const { results } = (await newest.json()) as { results: { content: string }[] };
      if (results.some((message) => message.content.startsWith(`message ${count - 1} `))) break;
      await sleep(100);
    }

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${service.baseUrl}/`);
    await page.getByRole('button', { name: 'Sign in as this user' }).waitFor();
    const signInReadyMs = await page.evaluate(() => performance.now());
    await page.getByLabel('User id').fill('bench-reader');
    await page.getByLabel('Name').fill('bench-reader');
    const beforeSignIn = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Sign in as this user' }).click();
    await page.getByRole('button', { name: new RegExp(`${count} messages`) }).waitFor({ timeout: 120_000 });
    const roomListMs = (await page.evaluate(() => performance.now())) - beforeSignIn;
    // timed twice: as the harness sees it (from before Playwright's click, with its actionability checks
    // and its polling for the row), and in the page from the click event to the newest row in the DOM and
    // to the frame after it, which is what a person clicking sees
    await page.evaluate(
      (newest) => {
        const { document, MutationObserver, requestAnimationFrame, performance } =
          globalThis as unknown as PageGlobals;
        const times: OpenTimes = {};
        (globalThis as unknown as { openTimes: OpenTimes }).openTimes = times;
        document.addEventListener('click', () => (times.click ??= performance.now()), { capture: true });
        const observer = new MutationObserver(() => {
          if (!document.querySelector('.message-rows')?.textContent?.includes(newest)) return;
          observer.disconnect();
          times.rows = performance.now();
          requestAnimationFrame(() => (times.frame = performance.now()));
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      },
      `message ${count - 1} `,
    );
    const beforeOpen = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: new RegExp(`${count} messages`) }).click();
    await page
      .locator('.message-rows')
      .getByText(`message ${count - 1}`, { exact: false })
      .waitFor();
    const firstScreenMs = (await page.evaluate(() => performance.now())) - beforeOpen;
    await page.waitForFunction(() => (globalThis as unknown as { openTimes: OpenTimes }).openTimes.frame);
    const inPage = (await page.evaluate(
      () => (globalThis as unknown as { openTimes: OpenTimes }).openTimes,
    )) as Required<OpenTimes>;
    const rowsInDom = await page.locator('.message-rows > li').count();

    console.log(
      `# web (chatbox) — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log('| measure | value | budget |');
    console.log('|---|---:|---:|');
    console.log(`| JavaScript on first load, gzipped | ${(jsGzipBytes / 1024).toFixed(1)} KiB | 100 KB |`);
    console.log(`| navigation start → sign-in form ready | ${signInReadyMs.toFixed(0)} ms | 500 ms |`);
    console.log(`| sign in → room list shown | ${roomListMs.toFixed(0)} ms | |`);
    console.log(
      `| open a room of ${count} messages → first screen rendered | ${firstScreenMs.toFixed(0)} ms | 200 ms |`,
    );
    console.log(
      `| of which in the page: click → newest row in the DOM / next frame | ${(inPage.rows - inPage.click).toFixed(0)} / ${(inPage.frame - inPage.click).toFixed(0)} ms | |`,
    );
    console.log(`| message rows in the DOM then | ${rowsInDom} | |`);
  } finally {
    await browser.close();
    await service.dispose();
  }
}
