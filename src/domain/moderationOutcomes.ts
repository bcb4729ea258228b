// What the moderation policy's verdict on a message (judgeMessage, moderationRules.ts) makes of a send or
// an edit, as events: `flag` keeps the message and puts a report by the policy on the moderators' queue;
// `block` stores a send hidden from the start (MessageSent with `blocked`: never visible for a moment);
// `bounce` stores nothing in the message's stream, records MessageBounced for the moderators and
// auditors, and refuses the write with `message_bounced` naming the rule. An edit a `block` rule matches
// is bounced: hiding the message would take away the text everyone read before, for an edit.
import { parse as parseUuid } from 'uuid';
import { MODERATION_ACTOR } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { MessageBounced, MessageReported } from './events.ts';
import type { Verdict } from './moderationRules.ts';
import { nameBasedId, reportId } from './streams.ts';

const BOUNCE_NAMESPACE = parseUuid('0f3b2d9e-7a41-4c8e-b5d6-9e2c7f1a4b38');

export type JudgedRule = Exclude<Verdict, { outcome: 'allow' }>;

/** The write a bounce refused, as MessageBounced records it. */
export type BouncedWrite = { messageId: string; roomId: string; content: string; edit: boolean };

/**
 * A write the policy refused; REST answers 422 and the socket an `error` frame, with the rule. It carries
 * the write, for the command to record once the refusal is final (a decision is made again on fresh
 * state before a refusal is answered: recording it inside the decision would record a draft).
 */
export class MessageBouncedError extends DomainError {
  readonly rule: { id: string; name: string };
  readonly verdict: JudgedRule;
  readonly write: BouncedWrite;
  constructor(verdict: JudgedRule, write: BouncedWrite) {
    super('message_bounced', `Not sent: the message breaks the moderation rule "${verdict.ruleName}"`);
    this.rule = { id: verdict.ruleId, name: verdict.ruleName };
    this.verdict = verdict;
    this.write = write;
  }
}

/** One bounce per message and text: the same refused send retried is recorded once. */
export function bounceId(messageId: string, content: string): string {
  return nameBasedId(`${messageId}\u0000${content}`, BOUNCE_NAMESPACE);
}

export function bouncedEvent(
  verdict: JudgedRule,
  message: BouncedWrite & { senderId: string },
): MessageBounced {
  return {
    type: 'MessageBounced',
    data: {
      bounceId: bounceId(message.messageId, message.content),
      ...message,
      ruleId: verdict.ruleId,
      ruleName: verdict.ruleName,
    },
  };
}

/**
 * The policy's report on a message it flagged or blocked (moderators review both: a blocked message they
 * find harmless they restore): one per message, so flagging it again is the same report.
 */
export function flagReportId(messageId: string): string {
  return reportId(messageId, MODERATION_ACTOR.userId);
}

export function flaggedEvent(
  verdict: JudgedRule,
  message: { messageId: string; roomId: string },
): MessageReported {
  return {
    type: 'MessageReported',
    data: {
      reportId: flagReportId(message.messageId),
      messageId: message.messageId,
      roomId: message.roomId,
      reporterId: MODERATION_ACTOR.userId,
      reason: `${verdict.outcome === 'block' ? 'blocked' : 'flagged'} by the moderation rule "${verdict.ruleName}"`,
    },
  };
}

/** A bounce's stream holds its one event: recorded or not. */
export const bounceAggregate: Aggregate<boolean, MessageBounced> = {
  name: 'bounce',
  initialState: () => false,
  evolve: () => true,
};
