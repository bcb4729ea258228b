// A message as its MessageSent event makes it: the row the projector stores, and the JSON of the answer
// to a send, which is given before the projector has numbered the message. One shape from one event.

import type { z } from 'zod';
import type { MessageJsonSchema } from '../../contract/resources.ts';
import type { AttachmentRef, MessageSent } from '../../domain/events.ts';
import type { AttachmentRow, MessageRow } from './rows.ts';
import { messageJson } from './serializers.ts';

export function attachmentRow(attachment: AttachmentRef): AttachmentRow {
  return {
    id: attachment.id,
    file_name: attachment.fileName ?? '', // '' once erased
    content_type: attachment.contentType,
    size: attachment.sizeBytes,
  };
}

/** The row of a message just sent: at `seq` of its room's feed, recorded at `createdAt`. */
export function sentMessageRow(data: MessageSent['data'], createdAt: string, seq: number): MessageRow {
  return {
    id: data.messageId,
    room_id: data.roomId,
    seq,
    sender_id: data.senderId,
    message_type: data.messageType,
    // '' once erased; a message the policy blocked is hidden from the start, as a tombstone
    content: data.blocked ? '' : (data.content ?? ''),
    reply_to: data.replyTo ?? null,
    attachment: data.attachment && !data.blocked ? attachmentRow(data.attachment) : null,
    reactions: [],
    is_edited: false,
    is_deleted: false,
    is_hidden: data.blocked !== undefined,
    // a MessageSent whose key is gone reads as a tombstone (a rebuild after an erasure)
    is_erased: data.content === null,
    edit_count: 0,
    created_at: createdAt,
    edited_at: null,
    revision: 0,
  };
}

/** The answer to a first send, from the recorded event: the projection has not numbered it yet (seq null). */
export function sentMessageJson(
  data: MessageSent['data'],
  createdAt: string,
  senderUsername: string | null,
): z.infer<typeof MessageJsonSchema> {
  return { ...messageJson(sentMessageRow(data, createdAt, 0), senderUsername), seq: null };
}
