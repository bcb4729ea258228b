// Messages: send (text or attachment, reply, client_id idempotency), edit, soft delete, reactions.
// Every decision is made against the message's own room (from the message), never a room named by the
// caller, so nobody acts on a message through a room they happen to belong to.
import { isModerationPipeline, type WhoAndWhen } from './actor.ts';
import { type PairBlocks, requireNotBlocked } from './blocks.ts';
import { DomainError } from './errors.ts';
import type {
  AttachmentRef,
  MessageDeleted,
  MessageEdited,
  MessageSent,
  MessageType,
  ReactionAdded,
  ReactionRemoved,
} from './events.ts';
import { characterCount, MAX_EMOJI_LENGTH } from './limits.ts';
import {
  checkAttachment,
  checkContent,
  type MessageState,
  reactionKey,
  requireMessage,
  requireVisible,
} from './message.ts';
import {
  isRoomManager,
  type Room,
  type RoomState,
  requireNotArchived,
  requireParticipant,
  requireRoom,
  requireWriter,
} from './room.ts';

export type SendMessage = {
  /** messageIdForClientId(sender, clientId) when there is a client_id, else a fresh id */
  messageId: string;
  roomId: string;
  content: string;
  /** defaults to image/file for an attachment (by its content type), text otherwise */
  messageType?: MessageType;
  replyTo?: string | null;
  attachment?: AttachmentRef | null;
  clientId?: string | null;
};

/** What SendMessage reads besides the message stream itself. */
export type SendMessageInputs = {
  room: RoomState;
  /** the replied-to message's state, when the command has replyTo */
  replyTo?: MessageState;
  /** for direct rooms: both members' block lists */
  pairBlocks?: PairBlocks;
};

function messageTypeOf(command: SendMessage): MessageType {
  if (command.messageType) return command.messageType;
  if (!command.attachment) return 'text';
  return command.attachment.contentType.startsWith('image/') ? 'image' : 'file';
}

/** Everything the sender chose, in a fixed order: two sends are the same message when these are equal. */
export function sendFingerprint(sent: MessageSent['data']): string {
  const { attachment } = sent;
  return JSON.stringify([
    sent.roomId,
    sent.senderId,
    sent.messageType,
    sent.content,
    sent.replyTo ?? null,
    attachment ? [attachment.id, attachment.fileName, attachment.contentType, attachment.sizeBytes] : null,
  ]);
}

/**
 * `existing` is the state of the message's own stream: with a client_id, a retry finds the original there
 * and records nothing (the handler answers with the original); the same client_id with other content is
 * an idempotency_conflict.
 */
export function decideSendMessage(
  command: SendMessage,
  existing: MessageState,
  { actor, now }: WhoAndWhen,
  { room: roomState, replyTo, pairBlocks }: SendMessageInputs,
): MessageSent[] {
  const messageType = messageTypeOf(command);
  const data: MessageSent['data'] = {
    messageId: command.messageId,
    roomId: command.roomId,
    senderId: actor.userId,
    senderUsername: actor.username,
    messageType,
    content: command.content,
    replyTo: command.replyTo ?? null,
    attachment: command.attachment ?? null,
    clientId: command.clientId ?? null,
  };
  if (existing) {
    if (sendFingerprint(existing.sent) === sendFingerprint(data)) return [];
    throw new DomainError('idempotency_conflict', 'This client_id was already used for a different message');
  }

  const room = requireRoom(roomState);
  if (messageType === 'system') {
    if (!isModerationPipeline(actor))
      throw new DomainError('forbidden', 'Only the server posts system messages');
    requireNotArchived(room);
  } else {
    requireWriter(room, actor.userId, now);
  }
  if (room.roomType === 'direct') {
    if (!pairBlocks) throw new Error('decideSendMessage: block lists are required in a direct room');
    requireNotBlocked(actor.userId, pairBlocks);
  }
  if ((messageType === 'image' || messageType === 'file') && !command.attachment) {
    throw new DomainError('attachment_required', `A ${messageType} message needs an attachment`);
  }
  if (command.attachment) checkAttachment(command.attachment);
  checkContent(command.content, Boolean(command.attachment));
  if (command.replyTo && (!replyTo || replyTo.roomId !== room.roomId)) {
    throw new DomainError('invalid_reply_to', 'A reply must answer a message of the same room');
  }
  return [{ type: 'MessageSent', data }];
}

/** The other member of a direct room, whose block list SendMessage needs. */
export function directPartnerOf(room: Room, userId: string): string | undefined {
  if (room.roomType !== 'direct') return undefined;
  return Object.keys(room.participants).find((id) => id !== userId);
}

export type EditMessage = { messageId: string; content: string };

/** Only the sender edits, while still a participant allowed to write; earlier versions stay as events. */
export function decideEditMessage(
  command: EditMessage,
  state: MessageState,
  { actor, now }: WhoAndWhen,
  roomState: RoomState,
): MessageEdited[] {
  const message = requireMessage(state);
  const room = requireRoom(roomState);
  requireWriter(room, actor.userId, now);
  if (message.senderId !== actor.userId) {
    throw new DomainError('not_message_sender', 'Only the sender can edit a message');
  }
  requireVisible(message);
  checkContent(command.content, Boolean(message.sent.attachment));
  if (command.content === message.content) return [];
  return [
    {
      type: 'MessageEdited',
      data: {
        messageId: message.messageId,
        roomId: message.roomId,
        content: command.content,
        editedBy: actor.userId,
      },
    },
  ];
}

export type DeleteMessage = { messageId: string };

/** Soft delete by the sender (still a participant), a room admin, or a moderator. */
export function decideDeleteMessage(
  _command: DeleteMessage,
  state: MessageState,
  { actor }: WhoAndWhen,
  roomState: RoomState,
): MessageDeleted[] {
  const message = requireMessage(state);
  const room = requireRoom(roomState);
  if (!isRoomManager(room, actor)) {
    requireParticipant(room, actor.userId);
    if (message.senderId !== actor.userId) {
      throw new DomainError(
        'not_message_sender',
        'Only the sender, a room admin or a moderator can delete a message',
      );
    }
  }
  if (message.deleted) return [];
  return [
    {
      type: 'MessageDeleted',
      data: { messageId: message.messageId, roomId: message.roomId, deletedBy: actor.userId },
    },
  ];
}

export type AddReaction = { messageId: string; emoji: string };
export type RemoveReaction = { messageId: string; emoji: string };

function validEmoji(emoji: string): string {
  const trimmed = emoji.trim();
  if (trimmed === '' || characterCount(trimmed) > MAX_EMOJI_LENGTH) {
    throw new DomainError('invalid_input', `A reaction is 1 to ${MAX_EMOJI_LENGTH} characters`);
  }
  return trimmed;
}

export function decideAddReaction(
  command: AddReaction,
  state: MessageState,
  { actor }: WhoAndWhen,
  roomState: RoomState,
): ReactionAdded[] {
  const message = requireMessage(state);
  const room = requireRoom(roomState);
  requireParticipant(room, actor.userId);
  requireNotArchived(room);
  requireVisible(message);
  const emoji = validEmoji(command.emoji);
  if (message.reactions[reactionKey(actor.userId, emoji)]) return [];
  return [
    {
      type: 'ReactionAdded',
      data: { messageId: message.messageId, roomId: message.roomId, userId: actor.userId, emoji },
    },
  ];
}

export function decideRemoveReaction(
  command: RemoveReaction,
  state: MessageState,
  { actor }: WhoAndWhen,
  roomState: RoomState,
): ReactionRemoved[] {
  const message = requireMessage(state);
  const room = requireRoom(roomState);
  requireParticipant(room, actor.userId);
  const emoji = validEmoji(command.emoji);
  if (!message.reactions[reactionKey(actor.userId, emoji)]) return [];
  return [
    {
      type: 'ReactionRemoved',
      data: { messageId: message.messageId, roomId: message.roomId, userId: actor.userId, emoji },
    },
  ];
}
