// The read marker aggregate (stream readmarker-{roomId}_{userId}): how far one participant has read, and
// the two reading commands. Markers only move forward in the read model, which knows each message's seq.

import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { MessagesRead, ReadMarkerEvent, RoomMarkedRead } from './events.ts';
import type { MessageState } from './message.ts';
import { type RoomState, requireParticipant, requireRoom } from './room.ts';

export type ReadMarkerState = {
  /** the message of the last MessagesRead; null after RoomMarkedRead or before any read */
  lastReadMessageId: string | null;
};

export function evolveReadMarker(_state: ReadMarkerState, event: ReadMarkerEvent): ReadMarkerState {
  switch (event.type) {
    case 'MessagesRead':
      return { lastReadMessageId: event.data.upToMessageId };
    case 'RoomMarkedRead':
      return { lastReadMessageId: null };
    default: {
      const _exhaustive: never = event;
      return _state;
    }
  }
}

export const readMarkerAggregate: Aggregate<ReadMarkerState, ReadMarkerEvent> = {
  name: 'readMarker',
  initialState: () => ({ lastReadMessageId: null }),
  evolve: evolveReadMarker,
};

export type MarkRead = { roomId: string; upToMessageId: string };

/** Read up to a message of this room; marking the same message twice records it once. */
export function decideMarkRead(
  command: MarkRead,
  state: ReadMarkerState,
  { actor }: WhoAndWhen,
  { room: roomState, message }: { room: RoomState; message: MessageState },
): MessagesRead[] {
  const room = requireRoom(roomState);
  requireParticipant(room, actor.userId);
  if (!message || message.roomId !== room.roomId) {
    throw new DomainError('not_found', 'No such message in this room');
  }
  if (state.lastReadMessageId === command.upToMessageId) return [];
  return [
    {
      type: 'MessagesRead',
      data: { roomId: room.roomId, userId: actor.userId, upToMessageId: command.upToMessageId },
    },
  ];
}

export type MarkRoomRead = { roomId: string };

/** Everything in the room as of now: always recorded, since new messages may have come in meanwhile. */
export function decideMarkRoomRead(
  _command: MarkRoomRead,
  _state: ReadMarkerState,
  { actor }: WhoAndWhen,
  roomState: RoomState,
): RoomMarkedRead[] {
  const room = requireRoom(roomState);
  requireParticipant(room, actor.userId);
  return [{ type: 'RoomMarkedRead', data: { roomId: room.roomId, userId: actor.userId } }];
}
