// A room as it was at any point of its history, folded from the store with the domain's own evolve
// functions (room, message, read marker): the auditors' "as of" is the state the commands decided on,
// not a second interpretation of the events. Beside the domain state the fold keeps what only the order
// of events says: each member's membership windows, and when each message was sent and last changed.

import type { MessageEvent, ReadMarkerEvent, RoomEvent, UserId } from '../domain/events.ts';
import { evolveMessage, type Message } from '../domain/message.ts';
import { evolveReadMarker, type ReadMarkerState } from '../domain/readMarker.ts';
import { evolveRoom, type RoomState } from '../domain/room.ts';
import { messageStream, readMarkerStream, roomStream } from '../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../eventstore/eventStore.ts';
import { comparePositions, type Position } from '../eventstore/eventStore.ts';
import { readEvents } from './scanEvents.ts';

/** From a join (inclusive) to the leave or removal (exclusive); `to` null while still a member. */
export type MembershipWindow = { from: Position; to: Position | null };

/** one text a message had: the sent one, then each edit, with who recorded it and when */
/** content null: erased (docs/privacy.md) */
export type MessageVersion = { content: string | null; by: UserId | null; at: Date; position: Position };

export type FoldedMessage = {
  state: Message;
  sentAt: Date;
  sentPosition: Position;
  /** one per MessageSent / MessageEdited, oldest first */
  versions: MessageVersion[];
  lastChangedAt: Date;
};

export type RoomFold = {
  roomId: string;
  room: RoomState;
  windows: Map<UserId, MembershipWindow[]>;
  /** in the order they were sent */
  messages: Map<string, FoldedMessage>;
  readMarkers: Map<UserId, ReadMarkerState & { at: Date }>;
  /** the last event folded; null before any */
  position: Position | null;
  events: number;
};

export function emptyRoomFold(roomId: string): RoomFold {
  return {
    roomId,
    room: null,
    windows: new Map(),
    messages: new Map(),
    readMarkers: new Map(),
    position: null,
    events: 0,
  };
}

const ROOM_STREAM_PREFIX = roomStream('');
const MESSAGE_STREAM_PREFIX = messageStream('');
const READ_MARKER_STREAM_PREFIX = readMarkerStream('', '').slice(0, -1);

/** Folds one event of the room (any stream whose events name the room) into `fold`, in place. */
export function foldRoomEvent(fold: RoomFold, event: RecordedEvent): void {
  fold.position = event.position;
  fold.events++;
  if (event.stream.startsWith(ROOM_STREAM_PREFIX)) {
    const before = fold.room;
    fold.room = evolveRoom(before, event as unknown as RoomEvent);
    noteMembership(fold, before, event.position);
  } else if (event.stream.startsWith(MESSAGE_STREAM_PREFIX)) {
    foldMessageEvent(fold, event);
  } else if (event.stream.startsWith(READ_MARKER_STREAM_PREFIX)) {
    const marker = event as unknown as ReadMarkerEvent;
    const userId = marker.data.userId;
    const state = fold.readMarkers.get(userId) ?? { lastReadMessageId: null };
    fold.readMarkers.set(userId, { ...evolveReadMarker(state, marker), at: event.recordedAt });
  }
}

/** A window opens when a user becomes an active participant and closes when they stop being one. */
function noteMembership(fold: RoomFold, before: RoomState, at: Position): void {
  const after = fold.room;
  if (!after || after === before) return;
  for (const [userId, participant] of Object.entries(after.participants)) {
    const wasActive = before?.participants[userId]?.active === true;
    if (participant.active === wasActive) continue;
    const windows = fold.windows.get(userId) ?? [];
    if (participant.active) windows.push({ from: at, to: null });
    else if (windows.length > 0) windows[windows.length - 1]!.to = at;
    fold.windows.set(userId, windows);
  }
}

function foldMessageEvent(fold: RoomFold, event: RecordedEvent): void {
  const messageEvent = event as unknown as MessageEvent;
  const messageId = messageEvent.data.messageId;
  const folded = fold.messages.get(messageId);
  const state = evolveMessage(folded?.state ?? null, messageEvent);
  if (!state) return;
  const by = event.metadata.actorId ?? null;
  if (!folded) {
    fold.messages.set(messageId, {
      state,
      sentAt: event.recordedAt,
      sentPosition: event.position,
      versions: [{ content: state.content, by, at: event.recordedAt, position: event.position }],
      lastChangedAt: event.recordedAt,
    });
    return;
  }
  const versions =
    messageEvent.type === 'MessageEdited'
      ? [...folded.versions, { content: state.content, by, at: event.recordedAt, position: event.position }]
      : folded.versions;
  fold.messages.set(messageId, { ...folded, state, versions, lastChangedAt: event.recordedAt });
}

/** Where a fold stops: events recorded at or before `time`, and at or before `position`. */
export type FoldLimit = { time?: Date; position?: Position };

function within(event: RecordedEvent, limit: FoldLimit): boolean {
  if (limit.position && comparePositions(event.position, limit.position) > 0) return false;
  if (limit.time && event.recordedAt.getTime() > limit.time.getTime()) return false;
  return true;
}

/** The room folded from the store up to `limit` (its whole history without one). */
export async function foldRoom(store: EventStore, roomId: string, limit: FoldLimit = {}): Promise<RoomFold> {
  const fold = emptyRoomFold(roomId);
  for await (const page of readEvents(store, { roomId })) {
    for (const event of page) {
      if (limit.position && comparePositions(event.position, limit.position) > 0) return fold;
      if (within(event, limit)) foldRoomEvent(fold, event);
    }
  }
  return fold;
}

/**
 * Who could read message `messageId` at the fold's point: the room's active members then, and in a room
 * whose history is `joined` only those whose membership windows include the moment it was sent (the
 * read model's rule, docs/api.md "History visibility", as of that point). Empty before it was sent.
 */
export function readersOf(fold: RoomFold, messageId: string): UserId[] {
  const message = fold.messages.get(messageId);
  const room = fold.room;
  if (!message || !room) return [];
  const joined = room.settings.historyVisibility === 'joined';
  const readers: UserId[] = [];
  for (const [userId, participant] of Object.entries(room.participants)) {
    if (!participant.active) continue;
    if (joined && !(fold.windows.get(userId) ?? []).some((w) => includes(w, message.sentPosition))) continue;
    readers.push(userId);
  }
  return readers.sort();
}

function includes(window: MembershipWindow, position: Position): boolean {
  return (
    comparePositions(window.from, position) <= 0 &&
    (window.to === null || comparePositions(position, window.to) < 0)
  );
}
