// The room aggregate (stream room-{roomId}): lifecycle, settings, membership, roles and mutes.
// The guards below are the membership rules every room, participant and message decision relies on.

import { type Actor, isModerator } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { MessageType, RoomEvent, RoomSettings, RoomType, UserId } from './events.ts';

export type Participant = {
  userId: UserId;
  /** null once erased (docs/privacy.md) */
  username?: string | null;
  isAdmin: boolean;
  /** false once the user left or was removed: they can no longer read or write */
  active: boolean;
  /** moderation mute: null = not muted; until null = until unmuted */
  mute: { until: string | null } | null;
  /** the participant silenced the room's notifications for themself */
  notificationsMute: { until: string | null } | null;
};

export type Room = {
  roomId: string;
  name: string;
  roomType: RoomType;
  taskId: string | null;
  propertyId: string | null;
  createdBy: UserId;
  archived: boolean;
  settings: RoomSettings;
  /** everyone who ever was a participant, by user id */
  participants: Readonly<Record<UserId, Participant>>;
};

/** null until RoomCreated */
export type RoomState = Room | null;

function withParticipant(room: Room, userId: UserId, change: (p: Participant) => Participant): Room {
  const participant = room.participants[userId];
  if (!participant) return room;
  return { ...room, participants: { ...room.participants, [userId]: change(participant) } };
}

export function evolveRoom(state: RoomState, event: RoomEvent): RoomState {
  if (event.type === 'RoomCreated') {
    const { data } = event;
    const participants: Record<UserId, Participant> = {};
    for (const p of data.participants) {
      participants[p.userId] = { ...p, active: true, mute: null, notificationsMute: null };
    }
    return {
      roomId: data.roomId,
      name: data.name,
      roomType: data.roomType,
      taskId: data.taskId ?? null,
      propertyId: data.propertyId ?? null,
      createdBy: data.createdBy,
      archived: false,
      settings: data.settings,
      participants,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'RoomUpdated':
      return {
        ...state,
        name: event.data.name ?? state.name,
        settings: event.data.settings ? { ...state.settings, ...event.data.settings } : state.settings,
      };
    case 'RoomArchived':
      return { ...state, archived: true };
    case 'RoomUnarchived':
      return { ...state, archived: false };
    case 'ParticipantAdded': {
      const { userId, username, isAdmin } = event.data;
      const participant: Participant = {
        userId,
        username,
        isAdmin,
        active: true,
        mute: null,
        notificationsMute: null,
      };
      return { ...state, participants: { ...state.participants, [userId]: participant } };
    }
    case 'ParticipantRemoved':
    case 'ParticipantLeft':
      return withParticipant(state, event.data.userId, (p) => ({ ...p, active: false, isAdmin: false }));
    case 'ParticipantAdminSet':
      return withParticipant(state, event.data.userId, (p) => ({ ...p, isAdmin: event.data.isAdmin }));
    case 'ParticipantMuted':
      return withParticipant(state, event.data.userId, (p) => ({ ...p, mute: { until: event.data.until } }));
    case 'ParticipantUnmuted':
      return withParticipant(state, event.data.userId, (p) => ({ ...p, mute: null }));
    case 'RoomNotificationsMuted':
      return withParticipant(state, event.data.userId, (p) => ({
        ...p,
        notificationsMute: event.data.muted ? { until: event.data.until } : null,
      }));
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const roomAggregate: Aggregate<RoomState, RoomEvent> = {
  name: 'room',
  initialState: () => null,
  evolve: evolveRoom,
};

// ── guards ───────────────────────────────────────────────────────────────────────────────────────────

export function requireRoom(state: RoomState): Room {
  if (!state) throw new DomainError('not_found', 'Room not found');
  return state;
}

export function activeParticipant(room: Room, userId: UserId): Participant | undefined {
  const participant = room.participants[userId];
  return participant?.active ? participant : undefined;
}

/** Only current participants act in a room; someone who left or was removed is an outsider again. */
export function requireParticipant(room: Room, userId: UserId): Participant {
  const participant = activeParticipant(room, userId);
  if (!participant) throw new DomainError('not_a_participant', 'You are not a participant of this room');
  return participant;
}

/** Moderators moderate every room except direct ones: they cannot reach into private conversations. */
function moderates(room: Room, actor: Actor): boolean {
  return isModerator(actor) && room.roomType !== 'direct';
}

/** Room management (participants, roles, mutes, settings, archive): room admins, and moderators. */
export function requireRoomManager(room: Room, actor: Actor): void {
  if (moderates(room, actor)) return;
  const participant = requireParticipant(room, actor.userId);
  if (!participant.isAdmin) throw new DomainError('not_room_admin', 'Only room admins can do this');
}

export function isRoomManager(room: Room, actor: Actor): boolean {
  return moderates(room, actor) || activeParticipant(room, actor.userId)?.isAdmin === true;
}

export function requireNotDirect(room: Room, what: string): void {
  if (room.roomType === 'direct') {
    throw new DomainError('not_allowed_in_direct_room', `Direct rooms cannot ${what}`);
  }
}

export function requireNotArchived(room: Room): void {
  if (room.archived) throw new DomainError('room_archived', 'The room is archived');
}

export function isMuted(participant: Participant, now: Date): boolean {
  if (!participant.mute) return false;
  return participant.mute.until === null || now.getTime() < Date.parse(participant.mute.until);
}

/**
 * How long `actor` must wait between messages in this room: the room's slow mode, except for the room's
 * admins and moderators (who run the room) and the server's own messages. 0: no wait.
 */
export function slowModeSecondsFor(room: Room, actor: Actor, messageType: MessageType): number {
  if (messageType === 'system' || isRoomManager(room, actor)) return 0;
  return room.settings.slowModeSeconds ?? 0;
}

/** A participant who may write now: current, room not archived, not muted by a moderator or admin. */
export function requireWriter(room: Room, userId: UserId, now: Date): Participant {
  const participant = requireParticipant(room, userId);
  requireNotArchived(room);
  if (isMuted(participant, now)) {
    const until = participant.mute?.until;
    throw new DomainError('participant_muted', until ? `You are muted until ${until}` : 'You are muted');
  }
  return participant;
}

const activeAdmins = (room: Room) => Object.values(room.participants).filter((p) => p.active && p.isAdmin);
const activeCount = (room: Room) => Object.values(room.participants).filter((p) => p.active).length;

/**
 * A room with participants keeps an admin: the last admin cannot leave, be removed or lose admin while
 * anyone else remains; hand admin over first. The last participant of all may leave.
 */
export function requireNotLastAdmin(room: Room, userId: UserId): void {
  const admins = activeAdmins(room);
  const isLastAdmin = admins.length === 1 && admins[0]!.userId === userId;
  if (isLastAdmin && activeCount(room) > 1) {
    throw new DomainError('last_admin', 'The last admin must make someone else admin first');
  }
}
