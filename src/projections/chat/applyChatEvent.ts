// The chat projection as a pure function: one event at a time, over the rows a batch has loaded.
// `applyChatEvent` changes rows in the BatchState, marks them dirty, and appends the feed entries (frames)
// the room's participants will see. No I/O here: batchStore.ts loads the rows before and writes them
// after, which is what lets one transaction project thousands of events.

import type { FeedFrame, FeedFrameOf, FeedFrameType, NoticeFrame } from '../../contract/frames.ts';
import type { MessageEvent, ReadMarkerEvent, RoomEvent } from '../../domain/events.ts';
import { messageStream, participantId, roomStream } from '../../domain/streams.ts';
import type { RecordedEvent } from '../../eventstore/eventStore.ts';
import { encodePosition } from '../../eventstore/eventStore.ts';
import type { FeedEntry, UserNotice } from '../changeFeed.ts';
import type {
  AttachmentRow,
  MembershipWindowRow,
  MessageEditRow,
  MessageRow,
  ParticipantRow,
  RoomFeedRow,
  RoomRow,
  UserRow,
} from './rows.ts';
import { attachmentRow, sentMessageRow } from './sentMessage.ts';
import { historyIsJoined, messageJson, participantJson, roomJson } from './serializers.ts';

/** Feed frames that carry a message, the room, or neither (see BatchEditor's emit functions). */
type MessageFrameType =
  | 'chat_message'
  | 'message_edited'
  | 'message_deleted'
  | 'message_hidden'
  | 'message_restored';
type RoomFrameType = 'room_created' | 'room_updated' | 'room_archived' | 'room_unarchived';
type PlainFrameType = Exclude<FeedFrameType, MessageFrameType | RoomFrameType>;
/** a frame's own fields, besides its type and its place in the feed */
type FramePayload<Type extends FeedFrameType> = Omit<
  FeedFrameOf<Type>,
  'type' | 'room_id' | 'seq' | 'position'
>;
/** FeedEntry's delivery fields: the user the frame concerns, and the message it is about */
type Delivery = { subject?: string; revokes?: boolean; messageSeq?: number };

/** A message's content as of some point in its stream (what a moderator's restore brings back). */
export type MessageSnapshot = {
  content: string;
  attachment: AttachmentRow | null;
  edits: MessageEditRow[];
  is_edited: boolean;
  is_deleted: boolean;
  edited_at: string | null;
};

export type BatchState = {
  rooms: Map<string, RoomRow>;
  /** keyed by participantKey(roomId, userId) */
  participants: Map<string, ParticipantRow>;
  /**
   * the membership windows this batch opened or closed, keyed by windowKey (all of them written back). A
   * window is known from the participant row at its join and at its end, so none is ever loaded.
   */
  windows: Map<string, MembershipWindowRow>;
  messages: Map<string, MessageRow>;
  users: Map<string, UserRow>;
  dirty: {
    rooms: Set<string>;
    participants: Set<string>;
    messages: Set<string>;
    users: Set<string>;
  };
  /** edit history changes per message: `replace` drops the stored history first (delete, hide, restore) */
  edits: Map<string, { replace: boolean; rows: MessageEditRow[] }>;
  /** the frames as published live after the commit */
  feed: FeedEntry[];
  /** users added to or taken out of rooms, told after the commit (with `feed`, only when publishing) */
  notices: UserNotice[];
  /** false: frames are only stored, `feed` stays empty (a bulk rebuild over what was published before) */
  publishes: boolean;
  /** the same frames as stored in room_feed: a message in them by reference (see BatchEditor.emitMessage) */
  feedRows: RoomFeedRow[];
  /** MessageRestored event id -> the message as of that event, read from its stream ahead of the apply */
  restored: Map<string, MessageSnapshot>;
};

export const participantKey = (roomId: string, userId: string) => `${roomId}|${userId}`;
export const windowKey = (roomId: string, userId: string, fromSeq: number) =>
  `${roomId}|${userId}|${fromSeq}`;

export function emptyBatchState(): BatchState {
  return {
    rooms: new Map(),
    participants: new Map(),
    windows: new Map(),
    messages: new Map(),
    users: new Map(),
    dirty: {
      rooms: new Set(),
      participants: new Set(),
      messages: new Set(),
      users: new Set(),
    },
    edits: new Map(),
    feed: [],
    notices: [],
    publishes: true,
    feedRows: [],
    restored: new Map(),
  };
}

/** What the chat read model is built from: rooms, messages and read markers (blocks and reports: safety). */
export type ChatProjectedEvent = RoomEvent | MessageEvent | ReadMarkerEvent;

/** Every type applyChatEvent projects: a record, so that a new chat event type cannot be left out. */
const CHAT_EVENT_TYPES: Record<ChatProjectedEvent['type'], true> = {
  RoomCreated: true,
  RoomUpdated: true,
  RoomArchived: true,
  RoomUnarchived: true,
  ParticipantAdded: true,
  ParticipantRemoved: true,
  ParticipantLeft: true,
  ParticipantAdminSet: true,
  ParticipantMuted: true,
  ParticipantUnmuted: true,
  RoomNotificationsMuted: true,
  MessageSent: true,
  MessageEdited: true,
  MessageDeleted: true,
  MessageHidden: true,
  MessageRestored: true,
  ReactionAdded: true,
  ReactionRemoved: true,
  MessagesRead: true,
  RoomMarkedRead: true,
};

export const isChatProjectedEvent = (type: string): boolean => Object.hasOwn(CHAT_EVENT_TYPES, type);

export function applyChatEvents(state: BatchState, events: readonly RecordedEvent[]): void {
  for (const event of events) applyChatEvent(state, event);
}

export function applyChatEvent(state: BatchState, recorded: RecordedEvent): void {
  applyToRows(state, recorded);
  noteStreamRevision(state, recorded);
}

/**
 * A room or message row carries the revision of its own stream (every event of it, a no-op too): the
 * ETag a client sends back as If-Match, so an edit made from a stale view is refused, not applied over it.
 */
function noteStreamRevision(state: BatchState, recorded: RecordedEvent): void {
  const data = recorded.data as { roomId?: string; messageId?: string };
  const row =
    recorded.stream === roomStream(data.roomId ?? '')
      ? state.rooms.get(data.roomId!)
      : recorded.stream === messageStream(data.messageId ?? '')
        ? state.messages.get(data.messageId!)
        : undefined;
  if (!row) return;
  row.revision = Number(recorded.revision);
  if ('room_id' in row) state.dirty.messages.add(row.id);
  else state.dirty.rooms.add(row.id);
}

function applyToRows(state: BatchState, recorded: RecordedEvent): void {
  const event = { type: recorded.type, data: recorded.data } as ChatProjectedEvent;
  const at = recorded.metadata.occurredAt;
  const ctx = new BatchEditor(state, encodePosition(recorded.position));
  switch (event.type) {
    case 'RoomCreated': {
      const d = event.data;
      if (state.rooms.has(d.roomId)) return;
      const room: RoomRow = {
        id: d.roomId,
        name: d.name,
        room_type: d.roomType,
        task_id: d.taskId ?? null,
        property_id: d.propertyId ?? null,
        created_by: d.createdBy,
        created_at: at,
        modified_at: at,
        is_active: true,
        archived_at: null,
        settings: { ...d.settings },
        last_seq: 0,
        last_message_id: null,
        last_activity_at: at,
        participant_count: 0,
        revision: 0,
      };
      ctx.putRoom(room);
      const seq = ctx.nextSeq(room);
      for (const p of d.participants) {
        ctx.seeUser(p.userId, p.username);
        if (ctx.activeParticipant(d.roomId, p.userId)) continue;
        ctx.join(room, p.userId, p.isAdmin, seq, at);
      }
      ctx.emitRoom(room, seq, 'room_created');
      ctx.tellAdded(
        room,
        d.participants.map((p) => p.userId),
      );
      return;
    }
    case 'RoomUpdated': {
      const room = state.rooms.get(event.data.roomId);
      if (!room) return;
      if (event.data.name !== undefined) room.name = event.data.name;
      if (event.data.settings !== undefined) room.settings = { ...room.settings, ...event.data.settings };
      room.modified_at = at;
      ctx.touchRoom(room);
      ctx.emitRoom(room, ctx.nextSeq(room), 'room_updated');
      return;
    }
    case 'RoomArchived':
    case 'RoomUnarchived': {
      const room = state.rooms.get(event.data.roomId);
      if (!room) return;
      const archived = event.type === 'RoomArchived';
      if (room.is_active === !archived) return;
      room.is_active = !archived;
      room.archived_at = archived ? at : null;
      room.modified_at = at;
      ctx.touchRoom(room);
      ctx.emitRoom(room, ctx.nextSeq(room), archived ? 'room_archived' : 'room_unarchived');
      return;
    }
    case 'ParticipantAdded': {
      const d = event.data;
      const room = state.rooms.get(d.roomId);
      if (!room) return;
      ctx.seeUser(d.userId, d.username);
      if (ctx.activeParticipant(d.roomId, d.userId)) return;
      const seq = ctx.nextSeq(room);
      const participant = ctx.join(room, d.userId, d.isAdmin, seq, at);
      ctx.emit(room, seq, 'participant_joined', { participant: ctx.participantJson(participant) });
      ctx.tellAdded(room, [d.userId]);
      return;
    }
    case 'ParticipantRemoved':
    case 'ParticipantLeft': {
      const d = event.data;
      const room = state.rooms.get(d.roomId);
      const participant = ctx.activeParticipant(d.roomId, d.userId);
      if (!room || !participant) return;
      const seq = ctx.nextSeq(room);
      const removed = event.type === 'ParticipantRemoved';
      participant.left_at = at;
      participant.left_seq = seq;
      participant.left_reason = removed ? 'removed' : 'left';
      ctx.touchParticipant(participant);
      ctx.putWindow(participant, seq);
      room.participant_count -= 1;
      ctx.touchRoom(room);
      // the frame about them is the last they get of this room
      ctx.emit(
        room,
        seq,
        removed ? 'participant_removed' : 'participant_left',
        { participant: ctx.participantJson(participant) },
        { subject: d.userId, revokes: true },
      );
      ctx.tell(d.userId, { type: 'room_removed', room_id: room.id, reason: removed ? 'removed' : 'left' });
      return;
    }
    case 'ParticipantAdminSet':
    case 'ParticipantMuted':
    case 'ParticipantUnmuted':
    case 'RoomNotificationsMuted': {
      const d = event.data;
      const room = state.rooms.get(d.roomId);
      const participant = ctx.activeParticipant(d.roomId, d.userId);
      if (!room || !participant) return;
      if (event.type === 'ParticipantAdminSet') participant.is_admin = event.data.isAdmin;
      if (event.type === 'ParticipantMuted') {
        participant.muted = true;
        participant.muted_until = event.data.until;
      }
      if (event.type === 'ParticipantUnmuted') {
        participant.muted = false;
        participant.muted_until = null;
      }
      if (event.type === 'RoomNotificationsMuted') {
        participant.notifications_muted = event.data.muted;
        participant.notifications_muted_until = event.data.muted ? event.data.until : null;
      }
      ctx.touchParticipant(participant);
      ctx.emit(room, ctx.nextSeq(room), 'participant_updated', {
        participant: ctx.participantJson(participant),
      });
      return;
    }
    case 'MessageSent': {
      const d = event.data;
      const room = state.rooms.get(d.roomId);
      if (!room || state.messages.has(d.messageId)) return;
      ctx.seeUser(d.senderId, d.senderUsername);
      const seq = ctx.nextSeq(room);
      const message = sentMessageRow(d, at, seq);
      state.messages.set(message.id, message);
      ctx.touchMessage(message);
      room.last_message_id = message.id;
      room.last_activity_at = at;
      ctx.touchRoom(room);
      // a sender has read their own message: their unread count never includes it
      const sender = ctx.activeParticipant(d.roomId, d.senderId);
      if (sender && sender.last_read_seq < seq) {
        sender.last_read_seq = seq;
        sender.last_read_at = at;
        ctx.touchParticipant(sender);
      }
      ctx.emitMessage(room, seq, 'chat_message', message);
      return;
    }
    case 'MessageEdited': {
      const { message, room } = ctx.messageAndRoom(event.data.messageId);
      if (!message || !room || message.is_deleted || message.is_hidden) return;
      message.edit_count += 1;
      ctx.addEdit(message.id, {
        message_id: message.id,
        edit_no: message.edit_count,
        content: message.content,
        edited_by: event.data.editedBy,
        edited_at: at,
      });
      message.content = event.data.content ?? '';
      // whether the text shown now is erased: an edit written after its sender's erasure, or on a day
      // retention has not reached, is readable even when the version before it is not
      message.is_erased = event.data.content === null;
      message.is_edited = true;
      message.edited_at = at;
      ctx.touchMessage(message);
      ctx.emitMessage(room, ctx.nextSeq(room), 'message_edited', message);
      return;
    }
    case 'MessageDeleted':
    case 'MessageHidden': {
      const { message, room } = ctx.messageAndRoom(event.data.messageId);
      if (!message || !room) return;
      const deleting = event.type === 'MessageDeleted';
      if (deleting ? message.is_deleted : message.is_hidden) return;
      if (deleting) message.is_deleted = true;
      else message.is_hidden = true;
      // the text leaves the read model (and its edit history with it); the row stays as a tombstone
      message.content = '';
      message.attachment = null;
      state.edits.set(message.id, { replace: true, rows: [] });
      ctx.touchMessage(message);
      ctx.emitMessage(room, ctx.nextSeq(room), deleting ? 'message_deleted' : 'message_hidden', message);
      return;
    }
    case 'MessageRestored': {
      const { message, room } = ctx.messageAndRoom(event.data.messageId);
      const snapshot = state.restored.get(recorded.id);
      if (!message || !room || !message.is_hidden || !snapshot) return;
      message.is_hidden = false;
      if (!message.is_deleted && !snapshot.is_deleted) {
        message.content = snapshot.content;
        message.attachment = snapshot.attachment;
        message.is_edited = snapshot.is_edited;
        message.edited_at = snapshot.edited_at;
        message.edit_count = snapshot.edits.length;
        state.edits.set(message.id, { replace: true, rows: snapshot.edits.map((e) => ({ ...e })) });
      }
      ctx.touchMessage(message);
      ctx.emitMessage(room, ctx.nextSeq(room), 'message_restored', message);
      return;
    }
    case 'ReactionAdded':
    case 'ReactionRemoved': {
      const d = event.data;
      const { message, room } = ctx.messageAndRoom(d.messageId);
      if (!message || !room) return;
      const adding = event.type === 'ReactionAdded';
      const entry = message.reactions.find((r) => r.emoji === d.emoji);
      const has = entry?.user_ids.includes(d.userId) ?? false;
      if (adding === has) return;
      if (adding) {
        if (entry) entry.user_ids.push(d.userId);
        else message.reactions.push({ emoji: d.emoji, user_ids: [d.userId] });
      } else if (entry) {
        entry.user_ids = entry.user_ids.filter((id) => id !== d.userId);
        if (entry.user_ids.length === 0) message.reactions = message.reactions.filter((r) => r !== entry);
      }
      ctx.touchMessage(message);
      const payload = {
        message_id: message.id,
        user_id: d.userId,
        emoji: d.emoji,
        reactions: ctx.messageJson(message).reactions,
      };
      ctx.emit(room, ctx.nextSeq(room), adding ? 'reaction_added' : 'reaction_removed', payload, {
        messageSeq: message.seq,
      });
      return;
    }
    case 'MessagesRead':
    case 'RoomMarkedRead': {
      const d = event.data;
      const room = state.rooms.get(d.roomId);
      const participant = ctx.activeParticipant(d.roomId, d.userId);
      if (!room || !participant) return;
      const upTo =
        event.type === 'MessagesRead' ? event.data.upToMessageId : (room.last_message_id ?? undefined);
      const message = upTo === undefined ? undefined : state.messages.get(upTo);
      // markers only move forward; a marker for another room's message is ignored
      if (!message || message.room_id !== room.id || message.seq <= participant.last_read_seq) return;
      participant.last_read_seq = message.seq;
      participant.last_read_at = at;
      ctx.touchParticipant(participant);
      const payload = {
        message_id: message.id,
        user_id: participant.user_id,
        read_at: at,
        last_read_seq: message.seq,
      };
      // the reader's own sockets answer it with their new unread count
      ctx.emit(room, ctx.nextSeq(room), 'read_receipt', payload, {
        subject: participant.user_id,
        messageSeq: message.seq,
      });
      return;
    }
    default: {
      // an event type this code does not know (a newer writer): skip it, the next version projects it
      const _unknown: never = event;
      return;
    }
  }
}

/** The helpers one event's apply needs: row bookkeeping and frame building. */
class BatchEditor {
  readonly state: BatchState;
  readonly position: string;
  constructor(state: BatchState, position: string) {
    this.state = state;
    this.position = position;
  }

  nextSeq(room: RoomRow): number {
    room.last_seq += 1;
    this.touchRoom(room);
    return room.last_seq;
  }

  /**
   * A frame without a message or room in it, stored as published. `delivery` says who the frame concerns
   * (FeedEntry.subject, .revokes) and, for a frame about a message (a reaction, a read receipt), that
   * message's seq, which in a `joined` room decides who gets it.
   */
  emit<Type extends PlainFrameType>(
    room: RoomRow,
    seq: number,
    type: Type,
    payload: FramePayload<Type>,
    delivery: Delivery = {},
  ): void {
    const frame = { type, ...this.head(room, seq), ...payload } as FeedFrameOf<Type>;
    this.publish(room, seq, frame, delivery);
    this.storeFeedRow(room, seq, frame, null, delivery);
  }

  // room_feed keeps a message out of its frames and refers to it by id instead; readRoomFeed puts the
  // message's current JSON back. So a deleted or hidden message's text leaves the feed with the message
  // row (nothing to scrub), and the feed stores each message once.

  /** a frame that carries a message: stored by reference, so its JSON is built only to be published */
  emitMessage(room: RoomRow, seq: number, type: MessageFrameType, message: MessageRow): void {
    const head = { type, ...this.head(room, seq) };
    const delivery = { messageSeq: message.seq };
    if (this.state.publishes)
      this.publish(room, seq, { ...head, message: this.messageJson(message) }, delivery);
    this.storeFeedRow(room, seq, head, message.id, delivery);
  }

  /**
   * a frame that carries the room: its last message is stored by reference (read back under the history
   * visibility of the time of reading), and left out of the live frame of a `joined` room (roomJson)
   */
  emitRoom(room: RoomRow, seq: number, type: RoomFrameType): void {
    const head = { type, ...this.head(room, seq) };
    if (this.state.publishes) this.publish(room, seq, { ...head, room: this.roomJson(room) }, {});
    this.storeFeedRow(room, seq, { ...head, room: roomJson(room, null) }, room.last_message_id, {});
  }

  private head(room: RoomRow, seq: number) {
    return { room_id: room.id, seq, position: this.position };
  }

  private storeFeedRow(
    room: RoomRow,
    seq: number,
    frame: RoomFeedRow['frame'],
    messageId: string | null,
    delivery: Delivery,
  ): void {
    this.state.feedRows.push({
      room_id: room.id,
      seq,
      position: this.position,
      frame,
      message_id: messageId,
      message_seq: delivery.messageSeq ?? null,
      subject: delivery.subject ?? null,
      revokes: delivery.revokes ?? false,
    });
  }

  private publish(room: RoomRow, seq: number, frame: FeedFrame, delivery: Delivery): void {
    if (!this.state.publishes) return;
    const entry: FeedEntry = {
      roomId: room.id,
      seq,
      position: this.position,
      frame,
      subject: delivery.subject ?? null,
      revokes: delivery.revokes ?? false,
    };
    if (delivery.messageSeq !== undefined && historyIsJoined(room)) entry.messageSeq = delivery.messageSeq;
    this.state.feed.push(entry);
  }

  /** a notice to one user's sockets (their room list), published only when the batch publishes */
  tell(userId: string, frame: NoticeFrame): void {
    if (this.state.publishes) this.state.notices.push({ userId, position: this.position, frame });
  }
  /** tells users they are now in the room: the room's JSON as it is now, for their room list */
  tellAdded(room: RoomRow, userIds: readonly string[]): void {
    if (!this.state.publishes) return;
    const frame: NoticeFrame = { type: 'room_added', room_id: room.id, room: this.roomJson(room) };
    for (const userId of new Set(userIds)) this.tell(userId, frame);
  }

  putRoom(room: RoomRow): void {
    this.state.rooms.set(room.id, room);
    this.touchRoom(room);
  }
  touchRoom(room: RoomRow): void {
    this.state.dirty.rooms.add(room.id);
  }
  touchParticipant(p: ParticipantRow): void {
    this.state.dirty.participants.add(participantKey(p.room_id, p.user_id));
  }
  touchMessage(m: MessageRow): void {
    this.state.dirty.messages.add(m.id);
  }

  seeUser(userId: string, username: string | null | undefined): void {
    if (!username || this.state.users.get(userId)?.username === username) return;
    this.state.users.set(userId, { id: userId, username });
    this.state.dirty.users.add(userId);
  }

  activeParticipant(roomId: string, userId: string): ParticipantRow | undefined {
    const p = this.state.participants.get(participantKey(roomId, userId));
    return p && p.left_at === null ? p : undefined;
  }

  /** joins (or re-joins) a user; what was sent before the join does not count as unread */
  join(room: RoomRow, userId: string, isAdmin: boolean, seq: number, at: string): ParticipantRow {
    const participant: ParticipantRow = {
      room_id: room.id,
      user_id: userId,
      id: participantId(room.id, userId),
      is_admin: isAdmin,
      muted: false,
      muted_until: null,
      notifications_muted: false,
      notifications_muted_until: null,
      joined_at: at,
      joined_seq: seq,
      left_at: null,
      left_seq: null,
      left_reason: null,
      last_read_seq: seq,
      last_read_at: null,
    };
    this.state.participants.set(participantKey(room.id, userId), participant);
    this.touchParticipant(participant);
    this.putWindow(participant, null);
    room.participant_count += 1;
    this.touchRoom(room);
    return participant;
  }

  /** the participant's current membership window (from their latest join), open or ended at `toSeq` */
  putWindow(p: ParticipantRow, toSeq: number | null): void {
    this.state.windows.set(windowKey(p.room_id, p.user_id, p.joined_seq), {
      room_id: p.room_id,
      user_id: p.user_id,
      from_seq: p.joined_seq,
      to_seq: toSeq,
    });
  }

  messageAndRoom(messageId: string): { message?: MessageRow; room?: RoomRow } {
    const message = this.state.messages.get(messageId);
    return { message, room: message && this.state.rooms.get(message.room_id) };
  }

  addEdit(messageId: string, row: MessageEditRow): void {
    const pending = this.state.edits.get(messageId);
    if (pending) pending.rows.push(row);
    else this.state.edits.set(messageId, { replace: false, rows: [row] });
  }

  username(userId: string): string | null {
    return this.state.users.get(userId)?.username ?? null;
  }
  messageJson(m: MessageRow) {
    return messageJson(m, this.username(m.sender_id));
  }
  participantJson(p: ParticipantRow) {
    return participantJson(p, this.username(p.user_id));
  }
  /**
   * the room as its frames and notices show it to every member: in a `joined` room without its last
   * message, which some members may not be allowed to see (each one's is in their room list)
   */
  roomJson(room: RoomRow) {
    const last =
      room.last_message_id && !historyIsJoined(room)
        ? this.state.messages.get(room.last_message_id)
        : undefined;
    return roomJson(room, last ? this.messageJson(last) : null);
  }
}

/** Folds a message stream (up to some position) into its content: what a restore brings back. */
export function messageSnapshot(events: readonly RecordedEvent[]): MessageSnapshot {
  const snapshot: MessageSnapshot = {
    content: '',
    attachment: null,
    edits: [],
    is_edited: false,
    is_deleted: false,
    edited_at: null,
  };
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as ChatProjectedEvent;
    if (event.type === 'MessageSent') {
      snapshot.content = event.data.content ?? '';
      snapshot.attachment = event.data.attachment ? attachmentRow(event.data.attachment) : null;
    } else if (event.type === 'MessageEdited' && !snapshot.is_deleted) {
      snapshot.edits.push({
        message_id: event.data.messageId,
        edit_no: snapshot.edits.length + 1,
        content: snapshot.content,
        edited_by: event.data.editedBy,
        edited_at: recorded.metadata.occurredAt,
      });
      snapshot.content = event.data.content ?? '';
      snapshot.is_edited = true;
      snapshot.edited_at = recorded.metadata.occurredAt;
    } else if (event.type === 'MessageDeleted') {
      snapshot.is_deleted = true;
    }
  }
  return snapshot;
}
