// Rows of the chat read models, exactly as stored (snake_case columns). The projector evolves these in
// memory for a batch and writes them back; the queries read them and serialize with serializers.ts.
// Timestamps are ISO strings here (PostgreSQL timestamptz in the tables).
import type { RoomSettings } from '../../domain/events.ts';

export type ReactionEntry = { emoji: string; user_ids: string[] };
export type AttachmentRow = { id: string; file_name: string; content_type: string; size: number };

export type RoomRow = {
  id: string;
  name: string;
  room_type: string;
  task_id: string | null;
  property_id: string | null;
  created_by: string;
  created_at: string;
  modified_at: string;
  is_active: boolean;
  archived_at: string | null;
  /** as the events set them (camelCase keys; no historyVisibility: shared) */
  settings: RoomSettings;
  /** last feed seq handed out in this room (0 = none yet) */
  last_seq: number;
  last_message_id: string | null;
  /** newest message (or creation) time: the order of a user's room list */
  last_activity_at: string;
  participant_count: number;
  /** revision of the room's stream (room-{id}): its ETag */
  revision: number;
};

export type ParticipantRow = {
  room_id: string;
  user_id: string;
  /** participantId(room_id, user_id): the REST id */
  id: string;
  is_admin: boolean;
  muted: boolean;
  muted_until: string | null;
  notifications_muted: boolean;
  notifications_muted_until: string | null;
  joined_at: string;
  /** feed seq of the (latest) join: the start of what this membership may see */
  joined_seq: number;
  left_at: string | null;
  /** feed seq of the leave/removal; null while a member */
  left_seq: number | null;
  /** 'left' or 'removed' once gone */
  left_reason: string | null;
  last_read_seq: number;
  last_read_at: string | null;
};

/**
 * One stretch of time a user was a member of a room, in feed seqs: from the frame of their join (or the
 * room's creation) to the frame of their leave or removal, both included. A `joined` room's member reads
 * what was sent within their windows.
 */
export type MembershipWindowRow = {
  room_id: string;
  user_id: string;
  from_seq: number;
  /** null while the membership lasts */
  to_seq: number | null;
};

export type MessageRow = {
  id: string;
  room_id: string;
  /** feed seq at which it was sent */
  seq: number;
  sender_id: string;
  message_type: string;
  /** '' once deleted or hidden: the text is gone from the read model, the tombstone row stays */
  content: string;
  reply_to: string | null;
  attachment: AttachmentRow | null;
  reactions: ReactionEntry[];
  is_edited: boolean;
  is_deleted: boolean;
  is_hidden: boolean;
  /** its sender's personal data was erased (docs/privacy.md): content and file name are '' */
  is_erased: boolean;
  edit_count: number;
  created_at: string;
  edited_at: string | null;
  /** revision of the message's stream (message-{id}): its ETag */
  revision: number;
};

/** one earlier version of an edited message: the content it had before edit number `edit_no` */
export type MessageEditRow = {
  message_id: string;
  edit_no: number;
  content: string;
  edited_by: string;
  edited_at: string;
};

export type UserRow = { id: string; username: string | null };

/**
 * One feed entry as stored. A frame that carries a message (chat_message, message_*) or a room with its
 * last message (room_*) is stored without it; `message_id` names the message to put back when read.
 */
export type RoomFeedRow = {
  room_id: string;
  seq: number;
  position: string;
  frame: Record<string, unknown>;
  message_id: string | null;
  /**
   * the seq of the message the frame shows or is about (a message frame, a reaction, a read receipt); null
   * for the others. Under `joined` history a member is sent the frame only if that message is theirs to see.
   */
  message_seq: number | null;
  /** FeedEntry.subject and FeedEntry.revokes, kept for replays */
  subject: string | null;
  revokes: boolean;
};
