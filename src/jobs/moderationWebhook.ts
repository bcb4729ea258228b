// The post-send moderation hook (MODERATION_WEBHOOK_URL): every new message (not one the policy stored
// blocked) and every edit becomes a job, id `{message id}_{version}` (the version is the revision of the
// message's stream that carries that text, as its ETag said then), so an event enqueued twice is one job. The job
// POSTs that version's text to the hook and acts on its verdict as the moderation policy
// (MODERATION_ACTOR): `hide` runs HideMessage, `report` ReportMessage, `allow` nothing.
//
// A timeout, a refused connection, a non-2xx answer or one that is no verdict (not JSON, an unknown verdict)
// is a failed attempt: retried with exponential backoff, then kept failed for ops. A circuit breaker per
// process and URL (circuitBreaker.ts) stops calls after MODERATION_WEBHOOK_BREAKER_FAILURES failures in a
// row: jobs then wait out the cool-down delayed, without spending an attempt.
//
// The text stays in the event store: a job carries ids only (Redis is outside crypto-shredding) and reads
// the version it judges when it runs, so an erased message is never sent. A verdict is judged against the
// version it was asked about: a `hide` for text that was edited while the hook thought becomes a report
// (moderators look at it; the newer text has a job of its own), never a hide of text the hook did not see.
import { DelayedError, type Job } from 'bullmq';
import { z } from 'zod';
import { hideMessage } from '../commands/hideMessage.ts';
import { reportMessage } from '../commands/reportMessage.ts';
import type { Config } from '../config.ts';
import { MODERATION_ACTOR } from '../domain/actor.ts';
import type { MessageEvent, MessageSent } from '../domain/events.ts';
import { MAX_HIDE_REASON_LENGTH, MAX_REPORT_REASON_LENGTH } from '../domain/limits.ts';
import { evolveMessage, type MessageState } from '../domain/message.ts';
import { messageStream } from '../domain/streams.ts';
import { BodyText } from '../domain/text.ts';
import type { EventStore, RecordedEvent } from '../eventstore/eventStore.ts';
import type { InfrastructureLogger } from '../infrastructure/createInfrastructure.ts';
import { type CircuitBreaker, createCircuitBreaker } from './circuitBreaker.ts';
import type { JobDefinition } from './job.ts';
import { systemContext } from './systemContext.ts';

export const MODERATION_WEBHOOK_JOB = 'moderation-webhook';

export type ModerationWebhookData = {
  messageId: string;
  roomId: string;
  /** the revision of the message's stream whose text is judged (MessageSent or MessageEdited) */
  version: number;
};

export const moderationWebhookJobId = (messageId: string, version: number | bigint) =>
  `${messageId}_${version}`;

/**
 * What the hook answers; anything else is a failed attempt. Its reason is text another system brings in:
 * the text rules of every edge apply (a reason with a control character is no verdict either).
 */
const HookAnswer = z.discriminatedUnion('verdict', [
  z.object({ verdict: z.literal('allow') }),
  z.object({ verdict: z.enum(['hide', 'report']), reason: BodyText.optional() }),
]);
export type HookAnswer = z.infer<typeof HookAnswer>;

/** A hook answer larger than this is no verdict (a verdict is a few dozen bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

export class ModerationWebhookFailed extends Error {
  override readonly name = 'ModerationWebhookFailed';
}

/** One breaker per hook URL in this process, shared by its workers. */
const breakers = new Map<string, CircuitBreaker>();

function breakerFor(config: Config, url: string, logger: InfrastructureLogger): CircuitBreaker {
  let breaker = breakers.get(url);
  if (!breaker) {
    breaker = createCircuitBreaker({
      failures: config.MODERATION_WEBHOOK_BREAKER_FAILURES,
      cooldownMs: config.MODERATION_WEBHOOK_COOLDOWN_MS,
      onChange: (state) =>
        state === 'open'
          ? logger.warn(
              { cooldownMs: config.MODERATION_WEBHOOK_COOLDOWN_MS },
              'moderation webhook failing: calls stopped for the cool-down, its jobs wait',
            )
          : logger.info('moderation webhook answering again: calls resumed'),
    });
    breakers.set(url, breaker);
  }
  return breaker;
}

/** The message as of now, and the version the job judges, read from its stream. */
type Judged = {
  message: NonNullable<MessageState>;
  /** the event that carries the judged text */
  event: RecordedEvent;
  content: string | null;
  /** the revision of the stream's latest text (the send or the last edit) */
  latestVersion: bigint;
  /** a hide this job recorded before (a run after a moderator restored the message must not hide it again) */
  hiddenByThisJob: boolean;
};

async function readJudged(eventStore: EventStore, job: Job<ModerationWebhookData>): Promise<Judged | null> {
  const events = await eventStore.readStream(messageStream(job.data.messageId));
  let message: MessageState = null;
  let judged: RecordedEvent | undefined;
  let latestVersion = -1n;
  let hiddenByThisJob = false;
  for (const event of events) {
    message = evolveMessage(message, event as unknown as MessageEvent);
    if (event.type === 'MessageHidden' && event.metadata.correlationId === job.id) hiddenByThisJob = true;
    if (event.type !== 'MessageSent' && event.type !== 'MessageEdited') continue;
    latestVersion = event.revision;
    if (event.revision === BigInt(job.data.version)) judged = event;
  }
  if (!message || !judged) return null;
  const { content } = judged.data as { content: string | null };
  return { message, event: judged, content, latestVersion, hiddenByThisJob };
}

/**
 * Something to ask the hook about: not when the message is gone, erased, hidden or deleted, or its text
 * changed since (the newer text has its job).
 */
const judgeable = (judged: Judged | null): judged is Judged =>
  judged !== null &&
  judged.content !== null &&
  !judged.message.deleted &&
  !judged.message.hidden &&
  !judged.hiddenByThisJob &&
  judged.latestVersion === judged.event.revision;

async function askHook(
  url: string,
  timeoutMs: number,
  job: Job<ModerationWebhookData>,
  judged: Judged,
): Promise<HookAnswer> {
  const body = {
    message_id: judged.message.messageId,
    room_id: judged.message.roomId,
    sender_id: judged.message.senderId,
    content: judged.content,
    version: job.data.version,
    kind: judged.event.type === 'MessageSent' ? 'sent' : 'edited',
    message_type: judged.message.sent.messageType,
    // the same for every attempt and every run of this job: a hook may dedupe on it
    idempotency_key: job.id,
  };
  let text: string;
  let status: number;
  try {
    // one deadline for connecting, the answer and its body: a hook that trickles bytes is cut off too
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new ModerationWebhookFailed(`moderation webhook call failed: ${reason}`);
  }
  if (status < 200 || status > 299) {
    throw new ModerationWebhookFailed(`moderation webhook answered ${status}`);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_ANSWER_BYTES) {
    throw new ModerationWebhookFailed(`moderation webhook answered ${bytes} bytes: no verdict`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ModerationWebhookFailed('moderation webhook answered something that is not JSON');
  }
  const answer = HookAnswer.safeParse(json);
  if (!answer.success) {
    throw new ModerationWebhookFailed(
      `moderation webhook answered no verdict (allow, hide or report): ${text.slice(0, 200)}`,
    );
  }
  return answer.data;
}

/** A reason the domain accepts (1 to max characters), saying it is the hook's. */
function reasonOf(prefix: string, reason: string | undefined, max: number): string {
  const given = reason?.trim();
  return [...(given ? `${prefix}: ${given}` : prefix)].slice(0, max).join('');
}

async function act(
  answer: HookAnswer,
  job: Job<ModerationWebhookData>,
  eventStore: EventStore,
  asked: Judged,
): Promise<void> {
  if (answer.verdict === 'allow') return;
  const ctx = systemContext(eventStore, job, asked.event.id, MODERATION_ACTOR);
  const { messageId } = job.data;
  // the message as it is now: it may have been edited, hidden or deleted while the hook thought
  const now = await readJudged(eventStore, job);
  if (!now || now.message.deleted || now.hiddenByThisJob) return;
  const edited = now.latestVersion !== asked.event.revision;
  if (answer.verdict === 'hide' && !edited) {
    await hideMessage(ctx, {
      messageId,
      reason: reasonOf('hidden by the moderation webhook', answer.reason, MAX_HIDE_REASON_LENGTH),
    });
    return;
  }
  // a report, or a hide of text that has been edited away since: moderators decide (the report is the
  // policy's one per message, shared with the rules' flags: a message reported already stays one report)
  const prefix = edited
    ? `the moderation webhook would hide version ${job.data.version}, edited since`
    : 'reported by the moderation webhook';
  await reportMessage(ctx, {
    messageId,
    reason: reasonOf(prefix, answer.reason, MAX_REPORT_REASON_LENGTH),
  });
}

export const moderationWebhookJob: JobDefinition<ModerationWebhookData> = {
  name: MODERATION_WEBHOOK_JOB,
  concurrency: 4,
  eventTypes: ['MessageSent', 'MessageEdited'],
  // turned on for the first time, the hook judges what is sent from then on, not the whole history
  followFrom: 'head',
  enabled: (config) => config.MODERATION_WEBHOOK_URL !== undefined,
  retries: (config) => ({
    attempts: config.MODERATION_WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.MODERATION_WEBHOOK_BACKOFF_MS },
  }),
  limiter: (config) =>
    config.MODERATION_WEBHOOK_RATE_PER_SECOND > 0
      ? { max: config.MODERATION_WEBHOOK_RATE_PER_SECOND, duration: 1_000 }
      : undefined,

  async enqueue(queue, events) {
    const jobs = events.flatMap((event) => {
      const data = event.data as MessageSent['data'];
      // stored hidden by the policy already; an erased text has nothing to judge
      if (event.type === 'MessageSent' && data.blocked) return [];
      if (data.content === null) return [];
      const version = Number(event.revision);
      return [
        {
          name: 'judge',
          data: { messageId: data.messageId, roomId: data.roomId, version },
          opts: { jobId: moderationWebhookJobId(data.messageId, version) },
        },
      ];
    });
    if (jobs.length > 0) await queue.addBulk(jobs);
  },

  async process(job, { config, eventStore, logger }, token) {
    const url = config.MODERATION_WEBHOOK_URL;
    if (!url) return;
    const judged = await readJudged(eventStore, job);
    if (!judgeable(judged)) return;
    const breaker = breakerFor(config, url, logger);
    const admitted = breaker.admit();
    if (!admitted.ok) {
      await job.moveToDelayed(admitted.retryAt, token);
      throw new DelayedError();
    }
    let answer: HookAnswer;
    try {
      answer = await askHook(url, config.MODERATION_WEBHOOK_TIMEOUT_MS, job, judged);
    } catch (error) {
      breaker.failed();
      throw error;
    }
    breaker.succeeded();
    await act(answer, job, eventStore, judged);
  },
};
