// The message aggregate (stream message-{messageId}): what was sent, its current content, whether it was
// deleted or hidden, and its reactions. Earlier versions stay in the stream's events (edit history).
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { AttachmentRef, MessageEvent, MessageSent, UserId } from './events.ts';
import {
  ALLOWED_ATTACHMENT_TYPES,
  characterCount,
  MAX_ATTACHMENT_BYTES,
  MAX_MESSAGE_LENGTH,
} from './limits.ts';

export type Message = {
  /** the MessageSent as first recorded: what a client_id retry is compared with */
  sent: MessageSent['data'];
  messageId: string;
  roomId: string;
  senderId: UserId;
  /** null once erased (docs/privacy.md) */
  content: string | null;
  /** soft delete: the content disappears from every participant's view; the events stay */
  deleted: boolean;
  /** hidden by moderation, until restored */
  hidden: boolean;
  /** `${userId}\u0000${emoji}` of every current reaction */
  reactions: Readonly<Record<string, true>>;
};

/** null until MessageSent */
export type MessageState = Message | null;

export const reactionKey = (userId: UserId, emoji: string) => `${userId}\u0000${emoji}`;

export function evolveMessage(state: MessageState, event: MessageEvent): MessageState {
  if (event.type === 'MessageSent') {
    const { data } = event;
    return {
      sent: data,
      messageId: data.messageId,
      roomId: data.roomId,
      senderId: data.senderId,
      content: data.content,
      deleted: false,
      hidden: data.blocked !== undefined,
      reactions: {},
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'MessageEdited':
      return { ...state, content: event.data.content };
    case 'MessageDeleted':
      return { ...state, deleted: true };
    case 'MessageHidden':
      return { ...state, hidden: true };
    case 'MessageRestored':
      return { ...state, hidden: false };
    case 'ReactionAdded':
      return {
        ...state,
        reactions: { ...state.reactions, [reactionKey(event.data.userId, event.data.emoji)]: true },
      };
    case 'ReactionRemoved': {
      const { [reactionKey(event.data.userId, event.data.emoji)]: _removed, ...rest } = state.reactions;
      return { ...state, reactions: rest };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const messageAggregate: Aggregate<MessageState, MessageEvent> = {
  name: 'message',
  initialState: () => null,
  evolve: evolveMessage,
};

// ── rules ────────────────────────────────────────────────────────────────────────────────────────────

export function requireMessage(state: MessageState): Message {
  if (!state) throw new DomainError('not_found', 'Message not found');
  return state;
}

/** A message one can still act on: not deleted, not hidden by moderation. */
export function requireVisible(message: Message): void {
  if (message.deleted) throw new DomainError('message_deleted', 'The message was deleted');
  if (message.hidden) throw new DomainError('message_hidden', 'The message was hidden by a moderator');
}

/** Text of at most MAX_MESSAGE_LENGTH characters; blank only when an attachment carries the message. */
export function checkContent(content: string, hasAttachment: boolean): void {
  if (content.trim() === '' && !hasAttachment) {
    throw new DomainError('content_required', 'A message needs text or an attachment');
  }
  if (characterCount(content) > MAX_MESSAGE_LENGTH) {
    throw new DomainError('message_too_long', `A message has at most ${MAX_MESSAGE_LENGTH} characters`);
  }
}

export function checkAttachment(attachment: AttachmentRef): void {
  if (!Number.isInteger(attachment.sizeBytes) || attachment.sizeBytes < 0) {
    throw new DomainError('invalid_input', 'An attachment size is a whole number of bytes');
  }
  if (attachment.sizeBytes > MAX_ATTACHMENT_BYTES) {
    throw new DomainError('attachment_too_large', `An attachment has at most ${MAX_ATTACHMENT_BYTES} bytes`);
  }
  if (!ALLOWED_ATTACHMENT_TYPES.has(attachment.contentType)) {
    throw new DomainError(
      'attachment_type_not_allowed',
      `Attachments of type ${attachment.contentType} are not allowed`,
    );
  }
}
