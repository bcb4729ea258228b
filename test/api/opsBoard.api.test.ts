// The job board (bull-board at /ops/board/): ops sign in with their token, see a failed job and retry it;
// moderators see the same read-only and a retry of theirs is refused by the server; anyone else gets
// 404. The sign-in is an HttpOnly cookie scoped to the board. The page renders in Chromium under its CSP.
import { type Job, Worker } from 'bullmq';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOARD_COOKIE } from '../../src/api/opsBoard.ts';
import type { JobData } from '../../src/jobs/job.ts';
import { jobQueue } from '../../src/jobs/startJobs.ts';
import { mintToken } from '../support/tokens.ts';
import { ARTIFACTS, hasChromium, launchChromium } from '../web/support/browser.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
const tokens = {} as Record<'ops' | 'moderator' | 'alice', string>;
const QUEUE = 'mute-expiry';

beforeAll(async () => {
  t = await startTestApp('ops_board', {}, {}, { projector: false });
  tokens.ops = await mintToken(uuidv4(), { claims: { roles: ['ops'] }, expiresIn: 600 });
  tokens.moderator = await mintToken(uuidv4(), { claims: { roles: ['moderator'] }, expiresIn: 600 });
  tokens.alice = await mintToken(uuidv4(), { expiresIn: 600 });
});
afterAll(async () => t?.stop());

async function signIn(token: string) {
  return t.app.inject({
    method: 'POST',
    url: '/ops/board/session/',
    headers: { authorization: `Bearer ${token}` },
  });
}

/** the cookie a browser would keep from the sign-in's Set-Cookie */
async function cookieFor(token: string): Promise<string> {
  const answer = await signIn(token);
  expect(answer.statusCode).toBe(200);
  const setCookie = String(answer.headers['set-cookie']);
  return setCookie.split(';')[0]!;
}

function board(cookie: string | undefined, method: 'GET' | 'PUT' | 'POST', url: string) {
  return t.app.inject({ method, url, headers: cookie ? { cookie } : {} });
}

/** one job of the mute-expiry queue that failed its only attempt (a worker that throws) */
async function failedJob(): Promise<string> {
  const connection = t.app.redisConnection('jobs', 'test-failing-worker');
  const queue = jobQueue(connection, t.app.config, QUEUE, {
    attempts: 1,
    backoff: { type: 'exponential', delay: 0 },
  });
  const jobId = `failing-${uuidv4()}`;
  // (a job retried by an earlier test fails here too: this waits for its own)
  const failed = new Promise<string>((resolve) => {
    const worker = new Worker(
      QUEUE,
      async (_job: Job<JobData>) => {
        throw new Error('the unmute failed (test)');
      },
      { connection, prefix: `${t.app.config.REDIS_PREFIX}bull` },
    );
    worker.on('failed', (job) => {
      if (job?.id === jobId) void worker.close().then(() => resolve(jobId));
    });
  });
  await queue.add('unmute', { test: true } as unknown as JobData, { jobId });
  const id = await failed;
  await queue.close();
  await connection.quit();
  return id;
}

it('signs in with an HttpOnly, SameSite=Strict cookie scoped to the board; others get 404', async () => {
  const answer = await signIn(tokens.ops);
  expect(answer.statusCode).toBe(200);
  expect(answer.json()).toMatchObject({ board: '/ops/board/', read_only: false });
  const cookie = String(answer.headers['set-cookie']);
  expect(cookie).toMatch(new RegExp(`^${BOARD_COOKIE}=${tokens.ops.replaceAll('.', '\\.')};`));
  expect(cookie).toContain('Path=/ops/board/');
  expect(cookie).toContain('HttpOnly');
  expect(cookie).toContain('SameSite=Strict');
  expect(cookie).toMatch(/Max-Age=(\d+)/);
  expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeLessThanOrEqual(600);
  // plain http here: Secure only over https
  expect(cookie).not.toContain('Secure');

  // behind a proxy that ends TLS
  const proxied = await t.app.inject({
    method: 'POST',
    url: '/ops/board/session/',
    headers: { authorization: `Bearer ${tokens.ops}`, 'x-forwarded-proto': 'https' },
  });
  expect(String(proxied.headers['set-cookie'])).toMatch(/; Secure$/);

  const moderator = await signIn(tokens.moderator);
  expect(moderator.json()).toMatchObject({ board: '/ops/board/read-only/', read_only: true });

  const alice = await signIn(tokens.alice);
  expect(alice.statusCode).toBe(404);
  expect(alice.json().code).toBe('not_found');
  expect(alice.headers['set-cookie']).toBeUndefined();
  expect((await t.app.inject({ method: 'POST', url: '/ops/board/session/' })).statusCode).toBe(401);

  // no cookie, or a cookie with a token that is not allowed (set by hand): the board is not there
  const aliceCookie = `${BOARD_COOKIE}=${tokens.alice}`;
  for (const cookie of [undefined, aliceCookie, `${BOARD_COOKIE}=forged`]) {
    for (const url of ['/ops/board/', '/ops/board/api/queues', '/ops/board/read-only/']) {
      const refused = await board(cookie, 'GET', url);
      expect(refused.statusCode, `${url} with ${cookie}`).toBe(404);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
  }

  const signedOut = await t.app.inject({ method: 'DELETE', url: '/ops/board/session/' });
  expect(signedOut.statusCode).toBe(200);
  expect(String(signedOut.headers['set-cookie'])).toMatch(/^ops_board=; Path=\/ops\/board\/; Max-Age=0;/);
});

it('shows ops a failed job and retries it; moderators see it read-only and their retry is refused', async () => {
  const jobId = await failedJob();
  const ops = await cookieFor(tokens.ops);
  const moderator = await cookieFor(tokens.moderator);
  const listing = `?activeQueue=${QUEUE}&status=failed&page=1&jobsPerPage=10`;

  const seen = await board(ops, 'GET', `/ops/board/api/queues${listing}`);
  expect(seen.statusCode).toBe(200);
  const queues = seen.json().queues as { name: string; readOnlyMode: boolean; jobs: { id: string }[] }[];
  // every queue of the registry, as the workers take from them
  expect(queues.map((queue) => queue.name)).toContain('moderation-webhook');
  const queue = queues.find((q) => q.name === QUEUE)!;
  expect(queue.readOnlyMode).toBe(false);
  expect(queue.jobs.map((job) => job.id)).toEqual([jobId]);

  // the moderator's copy lists the same, read-only
  const readOnly = await board(moderator, 'GET', `/ops/board/read-only/api/queues${listing}`);
  expect(readOnly.statusCode).toBe(200);
  const theirs = (readOnly.json().queues as typeof queues).find((q) => q.name === QUEUE)!;
  expect(theirs.readOnlyMode).toBe(true);
  expect(theirs.jobs.map((job) => job.id)).toEqual([jobId]);
  // refused by bull-board's server, not just hidden: the job stays failed
  const refused = await board(moderator, 'PUT', `/ops/board/read-only/api/queues/${QUEUE}/${jobId}/retry`);
  expect(refused.statusCode).toBe(405);
  const refusedAll = await board(moderator, 'PUT', `/ops/board/read-only/api/queues/${QUEUE}/retry/failed`);
  expect(refusedAll.statusCode).toBe(405);
  // and the full board is not theirs
  expect((await board(moderator, 'PUT', `/ops/board/api/queues/${QUEUE}/${jobId}/retry`)).statusCode).toBe(
    404,
  );
  expect((await board(moderator, 'GET', '/ops/board/')).statusCode).toBe(404);
  const stillFailed = await board(ops, 'GET', `/ops/board/api/queues${listing}`);
  expect(stillFailed.json().queues.find((q: { name: string }) => q.name === QUEUE).jobs).toHaveLength(1);

  // an action from another site's page is refused even with the cookie
  const crossSite = await t.app.inject({
    method: 'PUT',
    url: `/ops/board/api/queues/${QUEUE}/${jobId}/retry`,
    headers: { cookie: ops, origin: 'https://elsewhere.example' },
  });
  expect(crossSite.statusCode).toBe(404);

  // jobs come from events: not even ops add one or rewrite its data by hand
  const added = await t.app.inject({
    method: 'POST',
    url: `/ops/board/api/queues/${QUEUE}/add`,
    headers: { cookie: ops },
    payload: { name: 'unmute', data: {} },
  });
  expect(added.statusCode).toBe(403);
  const edited = await t.app.inject({
    method: 'PATCH',
    url: `/ops/board/api/queues/${QUEUE}/${jobId}/update-data`,
    headers: { cookie: ops },
    payload: { data: { roomId: 'another' } },
  });
  expect(edited.statusCode).toBe(403);
  const rescheduled = await t.app.inject({
    method: 'PATCH',
    url: '/ops/board/api/queues/retention/job-schedulers/retention-schedule',
    headers: { cookie: ops },
    payload: { every: 1000 },
  });
  expect(rescheduled.statusCode).toBe(403);

  const retried = await board(ops, 'PUT', `/ops/board/api/queues/${QUEUE}/${jobId}/retry`);
  expect(retried.statusCode).toBe(204);
  const after = await board(ops, 'GET', `/ops/board/api/queues${listing}`);
  const counts = after.json().queues.find((q: { name: string }) => q.name === QUEUE).counts;
  expect(counts).toMatchObject({ failed: 0, waiting: 1 });
});

it.skipIf(!hasChromium)(
  'renders the board in Chromium after the sign-in page, with no CSP violation; read-only for a moderator',
  async () => {
    const jobId = await failedJob();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchChromium();
    const console: string[] = [];
    /** a browser of its own signed in through the sign-in page, on the board that token may see */
    const signedIn = async (token: string, board: string) => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      page.on('console', (message) => {
        // errors only: a CSP violation is one; bull-board's own warnings (an unused preload) come and go
        if (message.type() === 'error') console.push(message.text());
      });
      page.on('pageerror', (error) => console.push(String(error)));
      await page.goto(`${address}/ops/board/sign-in/`);
      await page.fill('#token', token);
      await page.click('button[type=submit]');
      await page.waitForURL(`${address}${board}`);
      return page;
    };
    try {
      const ops = await signedIn(tokens.ops, '/ops/board/');
      await ops.getByText(QUEUE).first().waitFor({ timeout: 20_000 });
      await ops.getByText('moderation-webhook').first().waitFor();
      await ops.goto(`${address}/ops/board/queue/${QUEUE}?status=failed`);
      await ops.getByText(jobId).first().waitFor({ timeout: 20_000 });
      await ops.getByText('the unmute failed (test)').first().waitFor();
      const retryButtons = await ops.getByRole('button', { name: /retry/i }).count();
      expect(retryButtons).toBeGreaterThan(0);
      await ops.screenshot({ path: `${ARTIFACTS}/ops-board.png`, fullPage: true });
      // the page cannot read the cookie
      expect(
        await ops.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
      ).toBe('');

      const moderator = await signedIn(tokens.moderator, '/ops/board/read-only/');
      await moderator.goto(`${address}/ops/board/read-only/queue/${QUEUE}?status=failed`);
      await moderator.getByText(jobId).first().waitFor({ timeout: 20_000 });
      expect(await moderator.getByRole('button', { name: /retry/i }).count()).toBe(0);
      await moderator.screenshot({ path: `${ARTIFACTS}/ops-board-read-only.png`, fullPage: true });

      expect(console.filter((line) => /Content.Security.Policy|Refused to/i.test(line))).toEqual([]);
      expect(console).toEqual([]);
    } finally {
      await browser.close();
    }
  },
  60_000,
);
