// The post-send moderation hook (src/jobs/moderationWebhook.ts) end to end, on real PostgreSQL and Redis,
// against a stub hook on node:http in this test: a `hide` verdict hides the message once (it is visible
// until the verdict); a hook slower than the timeout, one that is down and one that answers garbage are
// failed attempts, retried, and leave the message visible; while the hook is down the circuit breaker
// stops the calls and the job waits delayed, and the breaker closes when the hook answers again; the same
// job run again records nothing more; a verdict on a version edited since hides nothing.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { editMessage } from '../../src/commands/editMessage.ts';
import { restoreMessage } from '../../src/commands/restoreMessage.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import type { Config } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import { flagReportId } from '../../src/domain/moderationOutcomes.ts';
import { messageStream, reportStream } from '../../src/domain/streams.ts';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import type { JobData } from '../../src/jobs/job.ts';
import {
  MODERATION_WEBHOOK_JOB,
  moderationWebhookJob,
  moderationWebhookJobId,
} from '../../src/jobs/moderationWebhook.ts';
import { type JobsHandle, startJobs } from '../../src/jobs/startJobs.ts';
import { getMessageForUser } from '../../src/projections/chat/queries/messages.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { type ChatNode, startChatNode } from '../realtime/support/chatNode.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';

let database: TestDatabase;
let node: ChatNode;
const alice = randomUUID();
const bob = randomUUID();
const moderator = { userId: randomUUID(), roles: ['moderator' as const] };

beforeAll(async () => {
  database = await createTestDatabase('jobs_webhook');
  await migrate(database.url);
  node = await startChatNode({ databaseUrl: database.url, redisPrefix: testRedisPrefix('jobs_webhook') });
});
afterAll(async () => {
  await node?.stop();
  await database?.drop();
});

// ── the stub hook ────────────────────────────────────────────────────────────────────────────────────

type HookBody = { message_id: string; version: number; content: string; kind: string; room_id: string };
/** what the stub does with one call: answer it (status 200 unless given) or never */
type Answer = (body: HookBody, res: ServerResponse) => void | Promise<void>;

type StubHook = {
  url: string;
  port: number;
  /** every call, in order */
  calls: HookBody[];
  callsFor(messageId: string): HookBody[];
  answer: Answer;
  close(): Promise<void>;
};

const json = (res: ServerResponse, value: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
};
const verdict =
  (value: unknown): Answer =>
  (_body, res) =>
    json(res, value);
const allow = verdict({ verdict: 'allow' });

async function startHook(answer: Answer, port = 0): Promise<StubHook> {
  const calls: HookBody[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as HookBody;
      calls.push(body);
      void stub.answer(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  const stub: StubHook = {
    url: `http://127.0.0.1:${bound}/hook`,
    port: bound,
    calls,
    callsFor: (messageId) => calls.filter((call) => call.message_id === messageId),
    answer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return stub;
}

// ── the job, one runner per test ─────────────────────────────────────────────────────────────────────

let running: JobsHandle | undefined;
const hooks: StubHook[] = [];
afterEach(async () => {
  await running?.stop(2_000);
  running = undefined;
  for (const hook of hooks.splice(0)) await hook.close();
});

/**
 * The webhook job alone, calling `url`, on a Redis prefix of its own: another test's jobs never call this
 * test's hook. Short backoffs and cool-downs so that retries happen within a test.
 */
async function startWebhookJobs(url: string, settings: Partial<Config> = {}): Promise<JobsHandle> {
  const config: Config = {
    ...node.app.config,
    REDIS_PREFIX: testRedisPrefix('webhook'),
    MODERATION_WEBHOOK_URL: url,
    MODERATION_WEBHOOK_TIMEOUT_MS: 1_000,
    MODERATION_WEBHOOK_ATTEMPTS: 3,
    MODERATION_WEBHOOK_BACKOFF_MS: 100,
    MODERATION_WEBHOOK_BREAKER_FAILURES: 10,
    MODERATION_WEBHOOK_COOLDOWN_MS: 2_000,
    ...settings,
  };
  running = startJobs(
    {
      config,
      pool: node.app.pg,
      eventStore: node.app.eventStore,
      logger: node.app.log,
      redisConnection: node.app.redisConnection,
    },
    { jobs: [moderationWebhookJob] },
  );
  // its producer follows the store (from the head, the first time): what is sent from now on is judged
  await until('the producer to follow', async () => {
    const { rowCount } = await node.app.pg.query('SELECT 1 FROM job_followers WHERE name = $1', [
      MODERATION_WEBHOOK_JOB,
    ]);
    return rowCount === 1;
  });
  return running;
}

/** a stub hook that answers so, and the job calling it */
async function hookAnswering(answer: Answer, settings: Partial<Config> = {}) {
  const hook = await startHook(answer);
  hooks.push(hook);
  return { hook, jobs: await startWebhookJobs(hook.url, settings) };
}

async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const queueOf = (jobs: JobsHandle) => jobs.queues.get(MODERATION_WEBHOOK_JOB)!;
const jobOf = (jobs: JobsHandle, messageId: string, version = 0) =>
  queueOf(jobs).getJob(moderationWebhookJobId(messageId, version));
/**
 * a completed job is removed from Redis at once: its state is then unknown (as it is before the producer
 * enqueued it: wait for its call first)
 */
const finished = async (jobs: JobsHandle, messageId: string, version = 0) =>
  ['completed', 'unknown'].includes(
    await queueOf(jobs).getJobState(moderationWebhookJobId(messageId, version)),
  );

/** the message's first job, enqueued again as the producer would (its id from the message and version) */
const runAgain = (jobs: JobsHandle, messageId: string) =>
  queueOf(jobs).add('judge', { messageId, roomId: room!, version: 0 } as JobData, {
    jobId: moderationWebhookJobId(messageId, 0),
  });

/** the job once it spent its attempts (kept in Redis, failed) */
async function failedJob(jobs: JobsHandle, messageId: string) {
  await until(
    'the job to fail its attempts',
    async () => (await jobOf(jobs, messageId))?.finishedOn !== undefined,
  );
  const job = (await jobOf(jobs, messageId))!;
  expect(await job.getState()).toBe('failed');
  expect(job.attemptsMade).toBe(3);
  return job;
}

let room: string | undefined;
async function send(content: string) {
  room ??= await node.groupRoom(alice, [bob]);
  const sent = await sendMessage(node.as(bob), { roomId: room, content });
  return sent.messageId;
}

/** the message as alice, a participant, reads it now (after the projector caught up with the store) */
async function asAliceSees(messageId: string) {
  const [last] = await node.app.eventStore.readStream(messageStream(messageId), {
    direction: 'backwards',
    limit: 1,
  });
  await waitForPosition(node.app.pg, encodePosition(last!.position), 10_000, 'chat');
  const message = await getMessageForUser(node.app.pg, messageId, alice);
  return { hidden: message!.is_hidden, content: message!.content };
}

function only<T>(events: T[]): T {
  expect(events).toHaveLength(1);
  return events[0]!;
}
const hides = async (messageId: string) =>
  (await node.app.eventStore.readStream(messageStream(messageId))).filter((e) => e.type === 'MessageHidden');
const reports = async (messageId: string) =>
  (await node.app.eventStore.readStream(reportStream(flagReportId(messageId)))).filter(
    (e) => e.type === 'MessageReported',
  );

describe('the moderation webhook', () => {
  it('turned on for the first time, judges what is sent from then on, not the history', async () => {
    const before = await send('sent before there was a hook');
    // readable by the store's readers (the projector has it), so within the head the producer starts at
    await asAliceSees(before);
    const { hook, jobs } = await hookAnswering(allow);
    const after = await send('sent with the hook on');
    await until('the new message to be judged', async () => hook.callsFor(after).length === 1);
    await until('its job to finish', () => finished(jobs, after));
    expect(hook.callsFor(before)).toEqual([]);
    expect(await jobOf(jobs, before)).toBeUndefined();
  });

  it('hides the message on a hide verdict, once; the message is visible until the verdict', async () => {
    let release: (() => void) | undefined;
    // held by the text, never by order: a call about another test's message is answered at once
    const { hook, jobs } = await hookAnswering((body, res) => {
      if (body.content !== 'buy cheap watches') return allow(body, res);
      release = () => json(res, { verdict: 'hide', reason: 'spam' });
    });
    const messageId = await send('buy cheap watches');

    await until('the hook to be asked', () => hook.callsFor(messageId).length === 1);
    expect(hook.callsFor(messageId)[0]).toMatchObject({
      message_id: messageId,
      room_id: room,
      content: 'buy cheap watches',
      version: 0,
      kind: 'sent',
    });
    expect(await asAliceSees(messageId)).toEqual({ hidden: false, content: 'buy cheap watches' });

    release!();
    await until('the message to be hidden', async () => (await hides(messageId)).length > 0);
    expect(await asAliceSees(messageId)).toMatchObject({ hidden: true });
    await until('the job to finish', () => finished(jobs, messageId));
    const hide = only(await hides(messageId));
    expect(hide.data).toMatchObject({
      hiddenBy: 'system:moderation',
      reason: 'hidden by the moderation webhook: spam',
    });
    const sent = (await node.app.eventStore.readStream(messageStream(messageId)))[0]!;
    expect(hide.metadata).toMatchObject({
      correlationId: moderationWebhookJobId(messageId, 0),
      causationId: sent.id,
    });
  });

  it('the same job run again records nothing more, even after a moderator restored the message', async () => {
    const { hook, jobs } = await hookAnswering(verdict({ verdict: 'hide', reason: 'spam' }));
    const messageId = await send('more cheap watches');
    await until('the message to be hidden', async () => (await hides(messageId)).length === 1);
    await until('the job to finish', () => finished(jobs, messageId));

    // the same event enqueued twice at once is one job
    await restoreMessage(node.as(moderator), { messageId });
    await Promise.all([runAgain(jobs, messageId), runAgain(jobs, messageId)]);
    await until('the rerun to finish', () => finished(jobs, messageId));
    expect(await hides(messageId)).toHaveLength(1);
    expect(await asAliceSees(messageId)).toMatchObject({ hidden: false });
    // it did not even ask: this job's verdict was acted on already
    expect(hook.callsFor(messageId)).toHaveLength(1);
  });

  it('a report verdict reports the message once by the moderation policy, however often the job runs', async () => {
    const { hook, jobs } = await hookAnswering(verdict({ verdict: 'report', reason: 'looks off' }));
    const messageId = await send('a borderline remark');
    await until('the report', async () => (await reports(messageId)).length === 1);
    await until('the job to finish', () => finished(jobs, messageId));
    await runAgain(jobs, messageId);
    await until('the rerun to finish', async () => hook.callsFor(messageId).length === 2);
    await until('the rerun to finish', () => finished(jobs, messageId));
    expect(only(await reports(messageId)).data).toMatchObject({
      reporterId: 'system:moderation',
      reason: 'reported by the moderation webhook: looks off',
    });
    expect(await asAliceSees(messageId)).toMatchObject({ hidden: false });
  });

  it('a hook slower than the timeout is retried; the message stays visible, nothing crashes', async () => {
    const slow: Answer = async (_body, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (!res.destroyed) json(res, { verdict: 'hide', reason: 'too late' });
    };
    const { hook, jobs } = await hookAnswering(slow, { MODERATION_WEBHOOK_TIMEOUT_MS: 300 });
    const messageId = await send('a slow one');
    const job = await failedJob(jobs, messageId);
    expect(job.failedReason).toContain('no answer within 300 ms');
    expect(hook.callsFor(messageId)).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await hides(messageId)).toEqual([]);
    expect(await asAliceSees(messageId)).toEqual({ hidden: false, content: 'a slow one' });

    // the worker is still at work: a hook that answers in time gets the next message judged
    hook.answer = allow;
    const next = await send('a quick one');
    await until(
      'the next job to finish',
      async () => hook.callsFor(next).length === 1 && (await finished(jobs, next)),
    );
    expect(await jobOf(jobs, next)).toBeUndefined();
  });

  it('a hook answering garbage is retried, then the job is kept failed; the message stays visible', async () => {
    // one of each kind of garbage per attempt: not JSON, no verdict, a reason no text field may hold
    const garbage: Answer[] = [
      (_body, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'),
      verdict({ verdict: 'maybe' }),
      verdict({ verdict: 'hide', reason: 'ring \u0007 the bell' }),
    ];
    const { hook, jobs } = await hookAnswering((body, res) =>
      (garbage[hook.callsFor(body.message_id).length - 1] ?? allow)(body, res),
    );
    const messageId = await send('judge me');
    const job = await failedJob(jobs, messageId);
    expect(job.failedReason).toContain('no verdict');
    // the earlier attempts' errors
    expect(job.stacktrace?.join('\n')).toContain('not JSON');
    expect(hook.callsFor(messageId)).toHaveLength(3);
    expect(await hides(messageId)).toEqual([]);
    expect(await reports(messageId)).toEqual([]);
    expect(await asAliceSees(messageId)).toEqual({ hidden: false, content: 'judge me' });
  });

  it('a hook that is down: retried, the breaker opens and calls stop, then it closes when the hook is back', async () => {
    // a port nothing listens on: every call is refused
    const gone = await startHook(allow);
    const { port, url } = gone;
    await gone.close();
    const jobs = await startWebhookJobs(url, {
      MODERATION_WEBHOOK_ATTEMPTS: 20,
      MODERATION_WEBHOOK_BREAKER_FAILURES: 3,
      MODERATION_WEBHOOK_COOLDOWN_MS: 4_000,
    });
    const messageId = await send('while the hook is down');

    await until('three refused calls', async () => (await jobOf(jobs, messageId))?.attemptsMade === 3);
    expect((await jobOf(jobs, messageId))!.failedReason).toContain('ECONNREFUSED');
    // open: the job waits delayed and spends no attempt (no call goes out), where a closed breaker would
    // have let two more attempts through in this time (backoff 400 ms, then 800 ms)
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const waiting = (await jobOf(jobs, messageId))!;
    expect(waiting.attemptsMade).toBe(3);
    expect(await waiting.getState()).toBe('delayed');
    expect(await asAliceSees(messageId)).toEqual({ hidden: false, content: 'while the hook is down' });

    // back on the same address: after the cool-down one trial call goes out, succeeds, and the breaker closes
    const back = await startHook(
      (_body, res) => json(res, { verdict: 'hide', reason: 'late but sure' }),
      port,
    );
    hooks.push(back);
    const backAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(back.calls).toEqual([]);
    await until('the message to be hidden', async () => (await hides(messageId)).length === 1);
    // the calls stayed stopped until the cool-down's end (4 s after the third failure), the hook up or not
    expect(Date.now() - backAt).toBeGreaterThanOrEqual(1_000);
    expect(back.callsFor(messageId)).toHaveLength(1);
    await until('the job to finish', () => finished(jobs, messageId));

    // closed: the next message is judged at once
    back.answer = allow;
    const next = await send('the hook is back');
    const sentAt = Date.now();
    await until(
      'the next job to finish',
      async () => back.callsFor(next).length === 1 && (await finished(jobs, next)),
    );
    // an open breaker would have held it for a whole cool-down
    expect(Date.now() - sentAt).toBeLessThan(3_000);
  });

  it('judges the version it was asked about: a hide for text edited since hides nothing and is reported', async () => {
    let releaseFirst: (() => void) | undefined;
    const { hook, jobs } = await hookAnswering((body, res) => {
      if (body.content !== 'first text') return allow(body, res);
      releaseFirst = () => json(res, { verdict: 'hide', reason: 'the first text' });
    });
    const messageId = await send('first text');
    await until('the hook to be asked', () => hook.callsFor(messageId).length === 1);
    const edit = await editMessage(node.as(bob), { messageId, content: 'second text' });
    releaseFirst!();
    await until('the edit to be judged', async () =>
      hook.callsFor(messageId).some((call) => call.version === Number(edit.revision)),
    );
    await until('the edit to be judged', () => finished(jobs, messageId, Number(edit.revision)));
    await until('the first job to finish', () => finished(jobs, messageId, 0));
    expect(hook.callsFor(messageId).map((call) => [call.version, call.kind, call.content])).toEqual([
      [0, 'sent', 'first text'],
      [Number(edit.revision), 'edited', 'second text'],
    ]);
    expect(await hides(messageId)).toEqual([]);
    const [report] = await reports(messageId);
    expect((report!.data as { reason: string }).reason).toBe(
      'the moderation webhook would hide version 0, edited since: the first text',
    );
    expect(await asAliceSees(messageId)).toEqual({ hidden: false, content: 'second text' });
  });
});
