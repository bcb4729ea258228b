// Every node holds the moderation policy compiled in memory and follows its stream: a read of the
// stream's tail every POLL_INTERVAL_MS (one indexed query; nothing when nothing changed), so a rule a
// moderator changes on any node is held by every node within a second. The node that made the change
// refreshes at once (its answer and its next send already use the new rules). The policy is recompiled
// only when the revision moved: the send path never compiles.
import type { ModerationPolicyEvent, ModerationRule } from '../domain/events.ts';
import { type ModerationPolicyState, moderationPolicyAggregate } from '../domain/moderationPolicy.ts';
import { type CompiledPolicy, compilePolicy, EMPTY_POLICY } from '../domain/moderationRules.ts';
import { MODERATION_POLICY_STREAM } from '../domain/streams.ts';
import type { EventStore } from '../eventstore/eventStore.ts';

const POLL_INTERVAL_MS = 250;

export type PolicyFollower = {
  /** the policy as of the last read, compiled for judgeMessage */
  current(): CompiledPolicy;
  /** the rules in policy order, with the revision they are at */
  rules(): { revision: bigint; rules: { ruleId: string; rule: ModerationRule }[] };
  /** reads what is new in the stream now (after a change this node made) */
  refresh(): Promise<void>;
  stop(): void;
};

type Logger = { warn(object: object, message: string): void };

export async function followModerationPolicy(
  eventStore: EventStore,
  logger: Logger,
): Promise<PolicyFollower> {
  let state: ModerationPolicyState = moderationPolicyAggregate.initialState();
  let revision = -1n;
  let compiled: CompiledPolicy = EMPTY_POLICY;
  let reading: Promise<void> | null = null;

  const listed = () => [...state.rules].map(([ruleId, rule]) => ({ ruleId, rule }));

  async function readTail(): Promise<void> {
    const events = await eventStore.readStream(MODERATION_POLICY_STREAM, { from: revision + 1n });
    if (events.length === 0) return;
    for (const event of events) {
      state = moderationPolicyAggregate.evolve(state, event as unknown as ModerationPolicyEvent);
      revision = event.revision;
    }
    compiled = compilePolicy(revision, listed());
  }

  /** one read at a time: a refresh during a poll waits for it, then reads again */
  async function refresh(): Promise<void> {
    while (reading) await reading;
    reading = readTail().finally(() => {
      reading = null;
    });
    await reading;
  }

  await refresh();
  const timer = setInterval(() => {
    if (reading) return;
    refresh().catch((error: unknown) => {
      logger.warn(
        { err: error },
        'moderation policy: reading the stream failed; keeping the rules as they were',
      );
    });
  }, POLL_INTERVAL_MS);
  timer.unref();

  return {
    current: () => compiled,
    rules: () => ({ revision, rules: listed() }),
    refresh,
    stop: () => clearInterval(timer),
  };
}
