// Participants: add, remove, leave, make or unmake admin, moderation mute and unmute, and each member's own
// notification mute. Repeating a change that already holds records nothing and is no error: two admins
// removing the same participant at once end in one ParticipantRemoved, and both succeed.
import type { WhoAndWhen } from './actor.ts';
import { DomainError } from './errors.ts';
import type {
  ParticipantAdded,
  ParticipantAdminSet,
  ParticipantLeft,
  ParticipantMuted,
  ParticipantRemoved,
  ParticipantUnmuted,
  RoomNotificationsMuted,
  UserId,
} from './events.ts';
import {
  activeParticipant,
  type Participant,
  type Room,
  type RoomState,
  requireNotArchived,
  requireNotDirect,
  requireNotLastAdmin,
  requireParticipant,
  requireRoom,
  requireRoomManager,
} from './room.ts';

/** The participant a manager acts on: someone who left or was removed needs nothing more (null). */
function targetOf(room: Room, userId: UserId): Participant | null {
  const participant = room.participants[userId];
  if (!participant) throw new DomainError('not_a_participant', 'That user is not a participant of this room');
  return participant.active ? participant : null;
}

/** A future ISO instant, or null (= until lifted). */
function validUntil(until: string | null | undefined, now: Date): string | null {
  if (until === undefined || until === null) return null;
  const at = Date.parse(until);
  if (Number.isNaN(at)) throw new DomainError('invalid_input', '`until` must be an ISO 8601 date-time');
  if (at <= now.getTime()) throw new DomainError('invalid_input', '`until` must be in the future');
  return new Date(at).toISOString();
}

export type AddParticipant = { roomId: string; userId: UserId; username?: string; isAdmin?: boolean };

export function decideAddParticipant(
  command: AddParticipant,
  state: RoomState,
  { actor }: WhoAndWhen,
): ParticipantAdded[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'take more participants');
  requireRoomManager(room, actor);
  requireNotArchived(room);
  if (activeParticipant(room, command.userId)) return [];
  return [
    {
      type: 'ParticipantAdded',
      data: {
        roomId: room.roomId,
        userId: command.userId,
        username: command.username,
        isAdmin: command.isAdmin ?? false,
        addedBy: actor.userId,
      },
    },
  ];
}

export type RemoveParticipant = { roomId: string; userId: UserId };

export function decideRemoveParticipant(
  command: RemoveParticipant,
  state: RoomState,
  { actor }: WhoAndWhen,
): ParticipantRemoved[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'lose participants');
  requireRoomManager(room, actor);
  if (!targetOf(room, command.userId)) return [];
  requireNotLastAdmin(room, command.userId);
  return [
    {
      type: 'ParticipantRemoved',
      data: { roomId: room.roomId, userId: command.userId, removedBy: actor.userId },
    },
  ];
}

export type LeaveRoom = { roomId: string };

export function decideLeaveRoom(
  _command: LeaveRoom,
  state: RoomState,
  { actor }: WhoAndWhen,
): ParticipantLeft[] {
  const room = requireRoom(state);
  const participant = room.participants[actor.userId];
  if (participant && !participant.active) return [];
  requireParticipant(room, actor.userId);
  requireNotDirect(room, 'be left');
  requireNotLastAdmin(room, actor.userId);
  return [{ type: 'ParticipantLeft', data: { roomId: room.roomId, userId: actor.userId } }];
}

export type SetParticipantAdmin = { roomId: string; userId: UserId; isAdmin: boolean };

export function decideSetParticipantAdmin(
  command: SetParticipantAdmin,
  state: RoomState,
  { actor }: WhoAndWhen,
): ParticipantAdminSet[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'have admins');
  requireRoomManager(room, actor);
  const target = targetOf(room, command.userId);
  if (!target)
    throw new DomainError('not_a_participant', 'That user is no longer a participant of this room');
  if (target.isAdmin === command.isAdmin) return [];
  if (!command.isAdmin) requireNotLastAdmin(room, command.userId);
  return [
    {
      type: 'ParticipantAdminSet',
      data: { roomId: room.roomId, userId: command.userId, isAdmin: command.isAdmin, setBy: actor.userId },
    },
  ];
}

export type MuteParticipant = { roomId: string; userId: UserId; until?: string | null };

/** A muted participant cannot send until `until` passes (or until unmuted when there is none). */
export function decideMuteParticipant(
  command: MuteParticipant,
  state: RoomState,
  { actor, now }: WhoAndWhen,
): ParticipantMuted[] {
  const room = requireRoom(state);
  requireRoomManager(room, actor);
  const target = targetOf(room, command.userId);
  if (!target)
    throw new DomainError('not_a_participant', 'That user is no longer a participant of this room');
  const until = validUntil(command.until, now);
  if (target.mute && target.mute.until === until) return [];
  return [
    {
      type: 'ParticipantMuted',
      data: { roomId: room.roomId, userId: command.userId, until, mutedBy: actor.userId },
    },
  ];
}

export type UnmuteParticipant = { roomId: string; userId: UserId };

export function decideUnmuteParticipant(
  command: UnmuteParticipant,
  state: RoomState,
  { actor }: WhoAndWhen,
): ParticipantUnmuted[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'mute a participant (block the user instead)');
  requireRoomManager(room, actor);
  const target = targetOf(room, command.userId);
  if (!target?.mute) return [];
  return [
    {
      type: 'ParticipantUnmuted',
      data: { roomId: room.roomId, userId: command.userId, unmutedBy: actor.userId },
    },
  ];
}

export type ExpireMute = { roomId: string; userId: UserId; until: string };

/**
 * A timed mute's end: it lifts the mute that was set to end at `until`, once that time has come. A mute
 * lifted or changed since (another end, or none) is left alone, so the same expiry can run any number of
 * times with one outcome.
 */
export function decideExpireMute(
  command: ExpireMute,
  state: RoomState,
  { actor, now }: WhoAndWhen,
): ParticipantUnmuted[] {
  const room = requireRoom(state);
  const target = targetOf(room, command.userId);
  if (target?.mute?.until !== command.until) return [];
  if (new Date(command.until).getTime() > now.getTime()) return [];
  return [
    {
      type: 'ParticipantUnmuted',
      data: { roomId: room.roomId, userId: command.userId, unmutedBy: actor.userId },
    },
  ];
}

export type MuteRoomNotifications = { roomId: string; muted: boolean; until?: string | null };

/** For oneself only, and separate from moderation: a member silences (or unsilences) the room's alerts. */
export function decideMuteRoomNotifications(
  command: MuteRoomNotifications,
  state: RoomState,
  { actor, now }: WhoAndWhen,
): RoomNotificationsMuted[] {
  const room = requireRoom(state);
  const participant = requireParticipant(room, actor.userId);
  const until = command.muted ? validUntil(command.until, now) : null;
  const current = participant.notificationsMute;
  if (command.muted ? current?.until === until : current === null) return [];
  return [
    {
      type: 'RoomNotificationsMuted',
      data: { roomId: room.roomId, userId: actor.userId, muted: command.muted, until },
    },
  ];
}

export type ExpireNotificationMute = { roomId: string; userId: UserId; until: string };

/**
 * A timed notification mute's end, run by the service: it unsilences the room for the participant if the
 * silence set to end at `until` is still the one in place and its time has come; otherwise nothing, so it
 * can run any number of times with one outcome.
 */
export function decideExpireNotificationMute(
  command: ExpireNotificationMute,
  state: RoomState,
  { now }: WhoAndWhen,
): RoomNotificationsMuted[] {
  const room = requireRoom(state);
  const target = targetOf(room, command.userId);
  if (target?.notificationsMute?.until !== command.until) return [];
  if (new Date(command.until).getTime() > now.getTime()) return [];
  return [
    {
      type: 'RoomNotificationsMuted',
      data: { roomId: room.roomId, userId: command.userId, muted: false, until: null },
    },
  ];
}
