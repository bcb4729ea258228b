// SendMessage: text or an attachment, optionally replying to a message of the same room. With a client_id
// the message id derives from sender + client_id, so a retry (even one racing the original) finds the
// message already there and answers with it: never a second message.
// The room (and, for a direct room, both block lists) is a conditioned load: a cached state costs no read,
// and the append happens only while the room is at that revision, so a removed or muted participant can
// never send, however stale a cache: a warm send is one round trip (the append).
import type { MessageEvent, MessageSent } from '../domain/events.ts';
import { messageAggregate } from '../domain/message.ts';
import {
  decideSendMessage,
  directPartnerOf,
  type SendMessage,
  sendFingerprint,
} from '../domain/messageCommands.ts';
import { type JudgedRule, MessageBouncedError } from '../domain/moderationOutcomes.ts';
import { ALLOW } from '../domain/moderationRules.ts';
import { roomAggregate, slowModeSecondsFor } from '../domain/room.ts';
import {
  messageIdForClientId,
  messageSentEventId,
  messageStream,
  roomStream,
  timeOrderedId,
} from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, loadAggregate, summaryOf } from './handleCommand.ts';
import { loadPairBlocks } from './loaders.ts';
import { escalate, flag, judge, recordingBounces } from './moderateMessage.ts';
import type { SlowModeSlot } from './slowModeGate.ts';

export type SendMessageInput = Omit<SendMessage, 'messageId'>;

export type SendMessageResult = CommandSummary & {
  messageId: string;
  roomId: string;
  /** false when a retried client_id found the original message */
  created: boolean;
  /** the message as recorded (the original one for a retry) */
  message: MessageSent['data'];
  /** when it was sent, as recorded; null for a retry (the original's time is in the read model) */
  sentAt: string | null;
};

export async function sendMessage(ctx: CommandContext, input: SendMessageInput): Promise<SendMessageResult> {
  const { actor } = ctx;
  const messageId = input.clientId ? messageIdForClientId(actor.userId, input.clientId) : timeOrderedId();
  const command: SendMessage = { ...input, messageId };
  // the slow-mode slot this send took, given back if the message is not stored after all
  let slot: SlowModeSlot | undefined;
  // the policy's flag or block of the message: it goes to the moderators' queue once the message is stored
  let flagged: JudgedRule | undefined;

  const outcome = await recordingBounces(
    ctx,
    handleCommand(
      ctx,
      messageAggregate,
      messageStream(messageId),
      async (existing, context, loadConditioned) => {
        // the replied-to message is read, not a condition: a reaction to it must not refuse the reply
        const [room, replyTo] = await Promise.all([
          loadConditioned(roomAggregate, roomStream(input.roomId)),
          input.replyTo ? loadAggregate(ctx, messageAggregate, messageStream(input.replyTo)) : undefined,
        ]);
        const partner = room && directPartnerOf(room, actor.userId);
        const pairBlocks = partner ? await loadPairBlocks(ctx, actor, partner, loadConditioned) : undefined;
        const events: MessageEvent[] = decideSendMessage(command, existing, context, {
          room,
          replyTo: replyTo?.state,
          pairBlocks,
        });
        const sent = events[0] as MessageSent | undefined;
        // a retry that finds its message stored is judged again: a flag whose report did not get appended
        // then is appended now (once: the report's id comes from the message)
        const text = sent ? sent.data.content : existing?.sent.content;
        const verdict = room ? judge(ctx, text, room.roomType) : ALLOW;
        if (sent && verdict.outcome === 'bounce') {
          const { messageId: id, roomId, content } = sent.data;
          throw new MessageBouncedError(verdict, {
            messageId: id,
            roomId,
            content: content ?? '',
            edit: false,
          });
        }
        if (sent && verdict.outcome === 'block') {
          events[0] = {
            ...sent,
            data: { ...sent.data, blocked: { ruleId: verdict.ruleId, ruleName: verdict.ruleName } },
          };
        }
        flagged = verdict.outcome === 'flag' || verdict.outcome === 'block' ? verdict : undefined;
        // after every other rule: a send refused for another reason takes no slot. A retried append takes
        // the same slot again (it is held for this message id)
        const seconds = sent && room ? slowModeSecondsFor(room, actor, sent.data.messageType) : 0;
        if (seconds > 0 && ctx.slowMode) {
          const wanted = { roomId: input.roomId, userId: actor.userId, messageId, seconds };
          await ctx.slowMode.reserve(wanted);
          slot = wanted;
        }
        return events;
      },
      {
        // a new message needs no read: the append expects no stream. A retried client_id finds its message
        // stored (same event id: answered with the original) or, with other content, existing (a conflict,
        // decided on the stream as read then): either way only a retry costs a read
        assumeNewStream: true,
        eventId: input.clientId
          ? (event) => messageSentEventId(messageId, sendFingerprint((event as MessageSent).data))
          : undefined,
      },
    ),
  ).catch(async (error: unknown) => {
    if (slot) await ctx.slowMode?.release(slot).catch(() => {});
    throw error;
  });
  const message = outcome.state!.sent;
  if (flagged) await flag(ctx, flagged, message);
  if (flagged?.outcome === 'block' && outcome.changed) await escalate(ctx, message.roomId, messageId);
  return {
    messageId,
    roomId: message.roomId,
    created: outcome.changed,
    message,
    sentAt: outcome.occurredAt,
    ...summaryOf(outcome),
  };
}
