// Rooms and participants: given room events, when a command, then events or a DomainError code.
import { describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR, type WhoAndWhen } from '../../src/domain/actor.ts';
import { blocksAggregate, type PairBlocks } from '../../src/domain/blocks.ts';
import type { HistoryVisibility, RoomEvent, UserBlocked } from '../../src/domain/events.ts';
import { MAX_ROOM_NAME_LENGTH } from '../../src/domain/limits.ts';
import {
  decideAddParticipant,
  decideExpireMute,
  decideExpireNotificationMute,
  decideLeaveRoom,
  decideMuteParticipant,
  decideMuteRoomNotifications,
  decideRemoveParticipant,
  decideSetParticipantAdmin,
  decideUnmuteParticipant,
} from '../../src/domain/participantCommands.ts';
import { type Room, type RoomState, roomAggregate, slowModeSecondsFor } from '../../src/domain/room.ts';
import {
  type CreateRoom,
  decideArchiveRoom,
  decideCreateRoom,
  decideUnarchiveRoom,
  decideUpdateRoom,
} from '../../src/domain/roomCommands.ts';
import { directRoomId } from '../../src/domain/streams.ts';
import {
  actor,
  adminSet,
  archived,
  as,
  directRoomCreated,
  EARLIER,
  type Expected,
  expectThen,
  fold,
  LATER,
  left,
  muted,
  ROOM,
  removed,
  roomCreated,
} from './given.ts';

type Case = {
  name: string;
  given: RoomEvent[];
  when: (state: RoomState) => readonly { type: string; data: unknown }[];
  expected: Expected;
};

function run(cases: Case[]) {
  it.each(cases)('$name', ({ given, when, expected }) => {
    expectThen(() => when(fold(roomAggregate, given)), expected);
  });
}

const created = roomCreated();
const alice = as('alice');
const bob = as('bob');
const dave = as('dave');
const moderator = as('mod', ['moderator']);

describe('CreateRoom', () => {
  const DIRECT = directRoomId('alice', 'bob');
  const noBlocks: PairBlocks = {
    actor: blocksAggregate.initialState(),
    other: { userId: 'bob', blocks: blocksAggregate.initialState() },
  };
  const blocked = (by: string, whom: string): UserBlocked => ({
    type: 'UserBlocked',
    data: { userId: by, blockedUserId: whom },
  });
  const aliceBlockedBob: PairBlocks = {
    ...noBlocks,
    actor: fold(blocksAggregate, [blocked('alice', 'bob')]),
  };
  const bobBlockedAlice: PairBlocks = {
    ...noBlocks,
    other: { userId: 'bob', blocks: fold(blocksAggregate, [blocked('bob', 'alice')]) },
  };
  const create =
    (command: Partial<CreateRoom>, ctx: WhoAndWhen = alice, pair?: PairBlocks) =>
    (state: RoomState) =>
      decideCreateRoom(
        {
          roomId: ROOM,
          roomType: 'group',
          name: 'Maintenance',
          participantIds: ['bob', 'carol'],
          participantUsernames: { bob: 'bob', carol: 'carol' },
          ...command,
        },
        state,
        ctx,
        pair,
      );

  run([
    {
      name: 'a group: the creator first, as admin; the others once each, not admin',
      given: [],
      when: create({ participantIds: ['bob', 'carol', 'bob', 'alice'] }),
      expected: [created],
    },
    {
      name: 'a task room carries its task id',
      given: [],
      when: create({ roomType: 'task', taskId: '42' }),
      expected: [roomCreated({ roomType: 'task', taskId: '42' })],
    },
    {
      name: 'a task room without a task id is refused',
      given: [],
      when: create({ roomType: 'task' }),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a property room carries its property id',
      given: [],
      when: create({ roomType: 'property', propertyId: 'p-7' }),
      expected: [roomCreated({ roomType: 'property', propertyId: 'p-7' })],
    },
    {
      name: 'a property room without a property id is refused',
      given: [],
      when: create({ roomType: 'property' }),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'an unknown room type is refused',
      given: [],
      when: create({ roomType: 'channel' as never }),
      expected: { error: 'invalid_room_type' },
    },
    {
      name: 'a name longer than the limit is refused',
      given: [],
      when: create({ name: 'x'.repeat(MAX_ROOM_NAME_LENGTH + 1) }),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'slow mode beyond an hour is refused',
      given: [],
      when: create({ settings: { slowModeSeconds: 3601 } }),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a task room created with history visible only while a member records the setting',
      given: [],
      when: create({ roomType: 'task', taskId: '42', settings: { historyVisibility: 'joined' } }),
      expected: [roomCreated({ roomType: 'task', taskId: '42', settings: { historyVisibility: 'joined' } })],
    },
    {
      name: 'a history visibility other than shared or joined is refused',
      given: [],
      when: create({ settings: { historyVisibility: 'world_readable' as never } }),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a direct room cannot be given a history visibility (its two members never change)',
      given: [],
      when: create(
        {
          roomId: DIRECT,
          roomType: 'direct',
          participantIds: ['bob'],
          settings: { historyVisibility: 'joined' },
        },
        alice,
        noBlocks,
      ),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'nor when asking for the existing direct room again',
      given: [directRoomCreated(DIRECT, 'bob', 'alice')],
      when: create(
        {
          roomId: DIRECT,
          roomType: 'direct',
          participantIds: ['bob'],
          settings: { historyVisibility: 'shared' },
        },
        alice,
        noBlocks,
      ),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'a direct room: the two users, no admins, id derived from the pair',
      given: [],
      when: create(
        { roomId: DIRECT, roomType: 'direct', name: '', participantIds: ['bob'] },
        alice,
        noBlocks,
      ),
      expected: [directRoomCreated(DIRECT, 'alice', 'bob')],
    },
    {
      name: 'the same direct room again: nothing new (the existing room is the answer)',
      given: [directRoomCreated(DIRECT, 'bob', 'alice')],
      when: create({ roomId: DIRECT, roomType: 'direct', participantIds: ['bob'] }, alice, noBlocks),
      expected: [],
    },
    {
      name: 'a direct room with two others is refused',
      given: [],
      when: create({ roomId: DIRECT, roomType: 'direct', participantIds: ['bob', 'carol'] }, alice, noBlocks),
      expected: { error: 'direct_room_requires_one_other_user' },
    },
    {
      name: 'a direct room with oneself is refused',
      given: [],
      when: create({ roomType: 'direct', participantIds: ['alice'] }, alice, noBlocks),
      expected: { error: 'direct_room_requires_one_other_user' },
    },
    {
      name: 'a blocked user cannot open a direct room with the blocker',
      given: [],
      when: create({ roomId: DIRECT, roomType: 'direct', participantIds: ['bob'] }, alice, bobBlockedAlice),
      expected: { error: 'user_blocked' },
    },
    {
      name: 'the blocker cannot open one either, until they unblock',
      given: [],
      when: create({ roomId: DIRECT, roomType: 'direct', participantIds: ['bob'] }, alice, aliceBlockedBob),
      expected: { error: 'user_blocked' },
    },
    {
      name: 'an existing direct room does not reopen for a blocked user',
      given: [directRoomCreated(DIRECT, 'alice', 'bob')],
      when: create({ roomId: DIRECT, roomType: 'direct', participantIds: ['bob'] }, alice, bobBlockedAlice),
      expected: { error: 'user_blocked' },
    },
  ]);
});

describe('UpdateRoom, ArchiveRoom, UnarchiveRoom', () => {
  const rename =
    (ctx: WhoAndWhen, name = 'Repairs') =>
    (s: RoomState) =>
      decideUpdateRoom({ roomId: ROOM, name }, s, ctx);
  const renamed = { type: 'RoomUpdated', data: { roomId: ROOM, name: 'Repairs', updatedBy: 'alice' } };
  const visibility = (ctx: WhoAndWhen, historyVisibility: HistoryVisibility) => (s: RoomState) =>
    decideUpdateRoom({ roomId: ROOM, settings: { historyVisibility } }, s, ctx);
  const visibilitySet = (historyVisibility: HistoryVisibility): RoomEvent => ({
    type: 'RoomUpdated',
    data: { roomId: ROOM, settings: { historyVisibility }, updatedBy: 'alice' },
  });
  run([
    { name: 'an admin renames the room', given: [created], when: rename(alice), expected: [renamed] },
    {
      name: 'an admin turns slow mode on',
      given: [created],
      when: (s) => decideUpdateRoom({ roomId: ROOM, settings: { slowModeSeconds: 30 } }, s, alice),
      expected: [
        {
          type: 'RoomUpdated',
          data: { roomId: ROOM, settings: { slowModeSeconds: 30 }, updatedBy: 'alice' },
        },
      ],
    },
    {
      name: 'an admin limits the history to each member’s own time in the room',
      given: [created],
      when: visibility(alice, 'joined'),
      expected: [visibilitySet('joined')],
    },
    {
      name: 'and shares it again',
      given: [created, visibilitySet('joined')],
      when: visibility(alice, 'shared'),
      expected: [visibilitySet('shared')],
    },
    {
      name: 'shared on a room created without the setting records nothing: shared is the default',
      given: [created],
      when: visibility(alice, 'shared'),
      expected: [],
    },
    {
      name: 'joined on a room that is joined already records nothing',
      given: [created, visibilitySet('joined')],
      when: visibility(alice, 'joined'),
      expected: [],
    },
    {
      name: 'a moderator sets the history visibility of a group',
      given: [created],
      when: visibility(moderator, 'joined'),
      expected: [{ ...visibilitySet('joined'), data: { ...visibilitySet('joined').data, updatedBy: 'mod' } }],
    },
    {
      name: 'a member who is not admin cannot change it',
      given: [created],
      when: visibility(bob, 'joined'),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'an unknown history visibility is refused',
      given: [created],
      when: visibility(alice, 'everyone' as never),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a direct room has no history visibility to change',
      given: [directRoomCreated(ROOM, 'alice', 'bob')],
      when: visibility(alice, 'joined'),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'a setting given as undefined changes nothing and records nothing',
      given: [
        created,
        {
          type: 'RoomUpdated',
          data: { roomId: ROOM, settings: { slowModeSeconds: 30 }, updatedBy: 'alice' },
        },
      ],
      when: (s) => decideUpdateRoom({ roomId: ROOM, settings: { slowModeSeconds: undefined } }, s, alice),
      expected: [],
    },
    {
      name: 'the same name again records nothing',
      given: [created],
      when: rename(alice, 'Maintenance'),
      expected: [],
    },
    {
      name: 'a participant who is not admin is refused',
      given: [created],
      when: rename(bob),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'an outsider is refused',
      given: [created],
      when: rename(dave),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'a moderator manages a group without being in it',
      given: [created],
      when: rename(moderator),
      expected: [{ ...renamed, data: { ...renamed.data, updatedBy: 'mod' } }],
    },
    {
      name: 'an archived room cannot be changed',
      given: [created, archived],
      when: rename(alice),
      expected: { error: 'room_archived' },
    },
    { name: 'an unknown room', given: [], when: rename(alice), expected: { error: 'not_found' } },
    {
      name: 'a direct room cannot be renamed',
      given: [directRoomCreated(ROOM, 'alice', 'bob')],
      when: rename(alice),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'nor by a moderator (no reach into private conversations)',
      given: [directRoomCreated(ROOM, 'alice', 'bob')],
      when: rename(moderator),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'an admin archives the room',
      given: [created],
      when: (s) => decideArchiveRoom({ roomId: ROOM }, s, alice),
      expected: [archived],
    },
    {
      name: 'archiving twice records it once',
      given: [created, archived],
      when: (s) => decideArchiveRoom({ roomId: ROOM }, s, alice),
      expected: [],
    },
    {
      name: 'a participant who is not admin cannot archive',
      given: [created],
      when: (s) => decideArchiveRoom({ roomId: ROOM }, s, bob),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'an admin unarchives',
      given: [created, archived],
      when: (s) => decideUnarchiveRoom({ roomId: ROOM }, s, alice),
      expected: [{ type: 'RoomUnarchived', data: { roomId: ROOM, unarchivedBy: 'alice' } }],
    },
    {
      name: 'unarchiving a live room records nothing',
      given: [created],
      when: (s) => decideUnarchiveRoom({ roomId: ROOM }, s, alice),
      expected: [],
    },
  ]);
});

describe('AddParticipant, RemoveParticipant, LeaveRoom', () => {
  const add =
    (ctx: WhoAndWhen, userId = 'dave') =>
    (s: RoomState) =>
      decideAddParticipant({ roomId: ROOM, userId, username: userId }, s, ctx);
  const remove =
    (ctx: WhoAndWhen, userId = 'bob') =>
    (s: RoomState) =>
      decideRemoveParticipant({ roomId: ROOM, userId }, s, ctx);
  const leave = (ctx: WhoAndWhen) => (s: RoomState) => decideLeaveRoom({ roomId: ROOM }, s, ctx);
  const daveAdded = {
    type: 'ParticipantAdded',
    data: { roomId: ROOM, userId: 'dave', username: 'dave', isAdmin: false, addedBy: 'alice' },
  };
  run([
    { name: 'an admin adds a user', given: [created], when: add(alice), expected: [daveAdded] },
    {
      name: 'adding a current participant records nothing',
      given: [created],
      when: add(alice, 'bob'),
      expected: [],
    },
    {
      name: 'a removed user can be added back',
      given: [created, removed('bob')],
      when: add(alice, 'bob'),
      expected: [{ ...daveAdded, data: { ...daveAdded.data, userId: 'bob', username: 'bob' } }],
    },
    {
      name: 'only admins add participants',
      given: [created],
      when: add(bob),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'an archived room takes no new members',
      given: [created, archived],
      when: add(alice),
      expected: { error: 'room_archived' },
    },
    {
      name: 'a direct room takes no third user',
      given: [directRoomCreated(ROOM, 'alice', 'bob')],
      when: add(alice),
      expected: { error: 'not_allowed_in_direct_room' },
    },
    {
      name: 'an admin removes a participant',
      given: [created],
      when: remove(alice),
      expected: [removed('bob')],
    },
    {
      name: 'removing someone already removed (by a concurrent admin) records nothing and is no error',
      given: [created, adminSet('carol', true), removed('bob', 'carol')],
      when: remove(alice),
      expected: [],
    },
    {
      name: 'removing someone who left records nothing',
      given: [created, left('bob')],
      when: remove(alice),
      expected: [],
    },
    {
      name: 'removing a stranger is refused',
      given: [created],
      when: remove(alice, 'dave'),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'only admins remove participants',
      given: [created],
      when: remove(carol()),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'a removed admin can no longer manage the room',
      given: [created, adminSet('bob', true), removed('alice', 'bob')],
      when: remove(alice, 'carol'),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'the last admin cannot be removed while others remain',
      given: [created],
      when: remove(moderator, 'alice'),
      expected: { error: 'last_admin' },
    },
    { name: 'a participant leaves', given: [created], when: leave(bob), expected: [left('bob')] },
    { name: 'leaving twice records it once', given: [created, left('bob')], when: leave(bob), expected: [] },
    {
      name: 'a stranger cannot leave',
      given: [created],
      when: leave(dave),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'the last admin cannot leave while others remain',
      given: [created],
      when: leave(alice),
      expected: { error: 'last_admin' },
    },
    {
      name: 'the last admin leaves after handing admin over',
      given: [created, adminSet('bob', true)],
      when: leave(alice),
      expected: [left('alice')],
    },
    {
      name: 'the last admin may leave when nobody else remains',
      given: [created, left('bob'), removed('carol')],
      when: leave(alice),
      expected: [left('alice')],
    },
    {
      name: 'a direct room cannot be left',
      given: [directRoomCreated(ROOM, 'alice', 'bob')],
      when: leave(bob),
      expected: { error: 'not_allowed_in_direct_room' },
    },
  ]);
});

function carol() {
  return as('carol');
}

describe('SetParticipantAdmin', () => {
  const setAdmin = (ctx: WhoAndWhen, userId: string, isAdmin: boolean) => (s: RoomState) =>
    decideSetParticipantAdmin({ roomId: ROOM, userId, isAdmin }, s, ctx);
  run([
    {
      name: 'an admin makes bob admin',
      given: [created],
      when: setAdmin(alice, 'bob', true),
      expected: [adminSet('bob', true)],
    },
    {
      name: 'making an admin admin again records nothing',
      given: [created, adminSet('bob', true)],
      when: setAdmin(alice, 'bob', true),
      expected: [],
    },
    {
      name: 'a participant cannot hand out admin',
      given: [created],
      when: setAdmin(bob, 'bob', true),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'the last admin cannot step down while others remain',
      given: [created],
      when: setAdmin(alice, 'alice', false),
      expected: { error: 'last_admin' },
    },
    {
      name: 'an admin steps down when another admin remains',
      given: [created, adminSet('bob', true)],
      when: setAdmin(alice, 'alice', false),
      expected: [adminSet('alice', false)],
    },
    {
      name: 'someone who left cannot become admin',
      given: [created, left('bob')],
      when: setAdmin(alice, 'bob', true),
      expected: { error: 'not_a_participant' },
    },
  ]);
});

describe('MuteParticipant, UnmuteParticipant, MuteRoomNotifications', () => {
  const mute = (ctx: WhoAndWhen, until?: string | null) => (s: RoomState) =>
    decideMuteParticipant({ roomId: ROOM, userId: 'bob', until }, s, ctx);
  run([
    {
      name: 'an admin mutes bob for an hour',
      given: [created],
      when: mute(alice, LATER),
      expected: [muted('bob', LATER)],
    },
    {
      name: 'an admin mutes bob until unmuted',
      given: [created],
      when: mute(alice),
      expected: [muted('bob', null)],
    },
    {
      name: 'the same mute again records nothing',
      given: [created, muted('bob', LATER)],
      when: mute(alice, LATER),
      expected: [],
    },
    {
      name: 'a mute ending in the past is refused',
      given: [created],
      when: mute(alice, EARLIER),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a mute ending at a date that is no date is refused',
      given: [created],
      when: mute(alice, 'soon'),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'only admins mute',
      given: [created],
      when: mute(as('carol')),
      expected: { error: 'not_room_admin' },
    },
    {
      name: 'an admin unmutes bob',
      given: [created, muted('bob', null)],
      when: (s) => decideUnmuteParticipant({ roomId: ROOM, userId: 'bob' }, s, alice),
      expected: [{ type: 'ParticipantUnmuted', data: { roomId: ROOM, userId: 'bob', unmutedBy: 'alice' } }],
    },
    {
      name: 'unmuting someone not muted records nothing',
      given: [created],
      when: (s) => decideUnmuteParticipant({ roomId: ROOM, userId: 'bob' }, s, alice),
      expected: [],
    },
    {
      name: 'a timed mute ends when its time has come, by the service',
      given: [created, muted('bob', LATER)],
      when: (s) =>
        decideExpireMute({ roomId: ROOM, userId: 'bob', until: LATER }, s, {
          actor: SYSTEM_ACTOR,
          now: new Date(LATER),
        }),
      expected: [
        { type: 'ParticipantUnmuted', data: { roomId: ROOM, userId: 'bob', unmutedBy: 'system:jobs' } },
      ],
    },
    {
      name: 'a timed mute does not end early (a clock behind)',
      given: [created, muted('bob', LATER)],
      when: (s) => decideExpireMute({ roomId: ROOM, userId: 'bob', until: LATER }, s, alice),
      expected: [],
    },
    {
      name: 'the end of a mute since lifted or changed records nothing',
      given: [created, muted('bob', EARLIER), muted('bob', LATER)],
      when: (s) =>
        decideExpireMute({ roomId: ROOM, userId: 'bob', until: EARLIER }, s, {
          actor: SYSTEM_ACTOR,
          now: new Date(LATER),
        }),
      expected: [],
    },
    {
      name: 'a participant silences the room for themself',
      given: [created],
      when: (s) => decideMuteRoomNotifications({ roomId: ROOM, muted: true, until: LATER }, s, bob),
      expected: [
        { type: 'RoomNotificationsMuted', data: { roomId: ROOM, userId: 'bob', muted: true, until: LATER } },
      ],
    },
    {
      name: 'a timed silence ends when its time has come, by the service',
      given: [created, silenced('bob', LATER)],
      when: (s) =>
        decideExpireNotificationMute({ roomId: ROOM, userId: 'bob', until: LATER }, s, {
          actor: SYSTEM_ACTOR,
          now: new Date(LATER),
        }),
      expected: [
        { type: 'RoomNotificationsMuted', data: { roomId: ROOM, userId: 'bob', muted: false, until: null } },
      ],
    },
    {
      name: 'a timed silence does not end early, nor once changed or lifted',
      given: [created, silenced('bob', EARLIER), silenced('bob', LATER)],
      when: (s) =>
        decideExpireNotificationMute({ roomId: ROOM, userId: 'bob', until: EARLIER }, s, {
          actor: SYSTEM_ACTOR,
          now: new Date(EARLIER),
        }),
      expected: [],
    },
    {
      name: 'a timed silence waits for its time',
      given: [created, silenced('bob', LATER)],
      when: (s) => decideExpireNotificationMute({ roomId: ROOM, userId: 'bob', until: LATER }, s, alice),
      expected: [],
    },
    {
      name: 'unsilencing a room that is not silenced records nothing',
      given: [created],
      when: (s) => decideMuteRoomNotifications({ roomId: ROOM, muted: false }, s, bob),
      expected: [],
    },
    {
      name: 'an outsider cannot silence a room',
      given: [created],
      when: (s) => decideMuteRoomNotifications({ roomId: ROOM, muted: true }, s, dave),
      expected: { error: 'not_a_participant' },
    },
  ]);

  it('notification mute is not a moderation mute', () => {
    const room = fold(roomAggregate, [
      created,
      { type: 'RoomNotificationsMuted', data: { roomId: ROOM, userId: 'bob', muted: true, until: null } },
    ]);
    expect(room?.participants.bob?.mute).toBeNull();
    expect(room?.participants.bob?.notificationsMute).toEqual({ until: null });
  });
});

describe('slow mode: who waits between messages', () => {
  const slowRoom = fold(roomAggregate, [roomCreated({ settings: { slowModeSeconds: 30 } })]) as Room;

  it('a participant waits the room’s slow_mode_seconds', () => {
    expect(slowModeSecondsFor(slowRoom, actor('bob'), 'text')).toBe(30);
  });
  it('room admins and moderators are exempt, and so are the server’s own messages', () => {
    expect(slowModeSecondsFor(slowRoom, actor('alice'), 'text')).toBe(0);
    expect(slowModeSecondsFor(slowRoom, actor('mod', ['moderator']), 'text')).toBe(0);
    expect(slowModeSecondsFor(slowRoom, SYSTEM_ACTOR, 'system')).toBe(0);
  });
  it('a room without slow mode makes nobody wait', () => {
    const room = fold(roomAggregate, [roomCreated()]) as Room;
    expect(slowModeSecondsFor(room, actor('bob'), 'text')).toBe(0);
  });
});

function silenced(userId: string, until: string | null): RoomEvent {
  return { type: 'RoomNotificationsMuted', data: { roomId: ROOM, userId, muted: true, until } };
}
