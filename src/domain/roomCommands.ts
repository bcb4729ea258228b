// Rooms: create (direct, group, task, property), update name and settings, archive and unarchive.
import type { WhoAndWhen } from './actor.ts';
import { type PairBlocks, requireNotBlocked } from './blocks.ts';
import { DomainError } from './errors.ts';
import type {
  HistoryVisibility,
  RoomArchived,
  RoomCreated,
  RoomSettings,
  RoomType,
  RoomUnarchived,
  RoomUpdated,
  UserId,
} from './events.ts';
import { characterCount, MAX_ROOM_NAME_LENGTH, MAX_SLOW_MODE_SECONDS } from './limits.ts';
import {
  type Room,
  type RoomState,
  requireNotArchived,
  requireNotDirect,
  requireRoom,
  requireRoomManager,
} from './room.ts';
import { directRoomId } from './streams.ts';

const ROOM_TYPES: readonly string[] = ['direct', 'group', 'task', 'property'] satisfies RoomType[];

export type CreateRoom = {
  /** for direct rooms, directRoomId(creator, other); otherwise a fresh id */
  roomId: string;
  roomType: RoomType;
  name?: string;
  /** the others to add besides the creator; exactly one for a direct room */
  participantIds: readonly UserId[];
  /** display names of the others, when the caller knows them */
  participantUsernames?: Readonly<Record<UserId, string>>;
  /** the external task of a task room */
  taskId?: string | null;
  /** the external property of a property room */
  propertyId?: string | null;
  settings?: RoomSettings;
};

function validName(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  if (characterCount(trimmed) > MAX_ROOM_NAME_LENGTH) {
    throw new DomainError('invalid_input', `A room name has at most ${MAX_ROOM_NAME_LENGTH} characters`);
  }
  return trimmed;
}

const HISTORY_VISIBILITIES: readonly string[] = ['shared', 'joined'] satisfies HistoryVisibility[];

/** The settings given, checked; keys given as undefined are dropped (they change nothing). */
function validSettings(settings: RoomSettings | undefined): RoomSettings {
  const slowMode = settings?.slowModeSeconds;
  if (
    slowMode !== undefined &&
    !(Number.isInteger(slowMode) && slowMode >= 0 && slowMode <= MAX_SLOW_MODE_SECONDS)
  ) {
    throw new DomainError(
      'invalid_input',
      `Slow mode is a whole number of seconds from 0 to ${MAX_SLOW_MODE_SECONDS}`,
    );
  }
  const visibility = settings?.historyVisibility;
  if (visibility !== undefined && !HISTORY_VISIBILITIES.includes(visibility)) {
    throw new DomainError('invalid_input', `History visibility is one of ${HISTORY_VISIBILITIES.join(', ')}`);
  }
  return Object.fromEntries(
    Object.entries(settings ?? {}).filter(([, value]) => value !== undefined),
  ) as RoomSettings;
}

/** A direct room's two members never change, so who reads its history is not a setting there. */
function validDirectSettings(settings: RoomSettings | undefined): RoomSettings {
  const valid = validSettings(settings);
  if (valid.historyVisibility !== undefined) {
    throw new DomainError('not_allowed_in_direct_room', 'Direct rooms have no history visibility setting');
  }
  return valid;
}

/** The settings as they apply: a room created without a history visibility is `shared`. */
function effectiveSettings(room: Room): RoomSettings {
  return { historyVisibility: 'shared', ...room.settings };
}

/**
 * A direct room between two users is unique: creating it again returns the existing room (no events),
 * unless one of them blocked the other. `pairBlocks` is required for direct rooms.
 */
export function decideCreateRoom(
  command: CreateRoom,
  state: RoomState,
  { actor }: WhoAndWhen,
  pairBlocks?: PairBlocks,
): RoomCreated[] {
  if (!ROOM_TYPES.includes(command.roomType)) {
    throw new DomainError('invalid_room_type', `Room type must be one of ${ROOM_TYPES.join(', ')}`);
  }
  const others = [...new Set(command.participantIds)].filter((id) => id !== actor.userId);
  const usernameOf = (userId: UserId) => command.participantUsernames?.[userId];

  if (command.roomType === 'direct') {
    const other = others[0];
    if (others.length !== 1 || command.participantIds.length !== 1 || other === undefined) {
      throw new DomainError(
        'direct_room_requires_one_other_user',
        'A direct room is between you and one other user',
      );
    }
    if (command.roomId !== directRoomId(actor.userId, other)) {
      throw new DomainError('invalid_input', 'A direct room id derives from its two users');
    }
    if (!pairBlocks) throw new Error('decideCreateRoom: block lists are required for a direct room');
    requireNotBlocked(actor.userId, pairBlocks);
    const settings = validDirectSettings(command.settings);
    if (state) return [];
    return [
      {
        type: 'RoomCreated',
        data: {
          roomId: command.roomId,
          name: validName(command.name),
          roomType: 'direct',
          taskId: null,
          propertyId: null,
          createdBy: actor.userId,
          participants: [
            { userId: actor.userId, username: actor.username, isAdmin: false },
            { userId: other, username: usernameOf(other), isAdmin: false },
          ],
          settings,
        },
      },
    ];
  }

  if (state) throw new DomainError('invalid_input', 'A room with this id exists already');
  const taskId = command.taskId ?? null;
  const propertyId = command.propertyId ?? null;
  if (command.roomType === 'task' && !taskId) {
    throw new DomainError('invalid_input', 'A task room needs the task id');
  }
  if (command.roomType === 'property' && !propertyId) {
    throw new DomainError('invalid_input', 'A property room needs the property id');
  }
  return [
    {
      type: 'RoomCreated',
      data: {
        roomId: command.roomId,
        name: validName(command.name),
        roomType: command.roomType,
        taskId,
        propertyId,
        createdBy: actor.userId,
        participants: [
          { userId: actor.userId, username: actor.username, isAdmin: true },
          ...others.map((userId) => ({ userId, username: usernameOf(userId), isAdmin: false })),
        ],
        settings: validSettings(command.settings),
      },
    },
  ];
}

export type UpdateRoom = { roomId: string; name?: string; settings?: RoomSettings };

/** Only the fields that change produce an event; nothing changed, nothing recorded. */
export function decideUpdateRoom(
  command: UpdateRoom,
  state: RoomState,
  { actor }: WhoAndWhen,
): RoomUpdated[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'be renamed or reconfigured');
  requireRoomManager(room, actor);
  requireNotArchived(room);
  const data: RoomUpdated['data'] = { roomId: room.roomId, updatedBy: actor.userId };
  if (command.name !== undefined) {
    const name = validName(command.name);
    if (name !== room.name) data.name = name;
  }
  if (command.settings !== undefined) {
    const settings = validSettings(command.settings);
    const current = effectiveSettings(room);
    const changed = Object.entries(settings).filter(
      ([key, value]) => current[key as keyof RoomSettings] !== value,
    );
    if (changed.length > 0) data.settings = Object.fromEntries(changed);
  }
  if (data.name === undefined && data.settings === undefined) return [];
  return [{ type: 'RoomUpdated', data }];
}

export type ArchiveRoom = { roomId: string };
export type UnarchiveRoom = { roomId: string };

/** An archived room refuses new messages and members; reading, leaving and unarchiving still work. */
export function decideArchiveRoom(
  _command: ArchiveRoom,
  state: RoomState,
  { actor }: WhoAndWhen,
): RoomArchived[] {
  const room = requireRoom(state);
  requireNotDirect(room, 'be archived');
  requireRoomManager(room, actor);
  if (room.archived) return [];
  return [{ type: 'RoomArchived', data: { roomId: room.roomId, archivedBy: actor.userId } }];
}

export function decideUnarchiveRoom(
  _command: UnarchiveRoom,
  state: RoomState,
  { actor }: WhoAndWhen,
): RoomUnarchived[] {
  const room = requireRoom(state);
  requireRoomManager(room, actor);
  if (!room.archived) return [];
  return [{ type: 'RoomUnarchived', data: { roomId: room.roomId, unarchivedBy: actor.userId } }];
}
