// Reading (read markers), blocks and moderation: given events, when a command, then events or an error code.
import { describe, it } from 'vitest';
import type { WhoAndWhen } from '../../src/domain/actor.ts';
import { blocksAggregate, decideBlockUser, decideUnblockUser } from '../../src/domain/blocks.ts';
import type {
  BlockEvent,
  MessageEvent,
  ReadMarkerEvent,
  ReportEvent,
  RoomEvent,
} from '../../src/domain/events.ts';
import { messageAggregate } from '../../src/domain/message.ts';
import {
  decideHideMessage,
  decideReportMessage,
  decideResolveReport,
  decideRestoreMessage,
} from '../../src/domain/moderationCommands.ts';
import { decideMarkRead, decideMarkRoomRead, readMarkerAggregate } from '../../src/domain/readMarker.ts';
import { reportAggregate } from '../../src/domain/report.ts';
import { roomAggregate } from '../../src/domain/room.ts';
import {
  archived,
  as,
  type Expected,
  expectThen,
  fold,
  left,
  MESSAGE,
  messageSent,
  OTHER_ROOM,
  ROOM,
  removed,
  roomCreated,
} from './given.ts';

const created = roomCreated();
const bob = as('bob');
const carol = as('carol');
const dave = as('dave');
const moderator = as('mod', ['moderator']);
const pipeline = as('moderation-bot', ['ops']);
const sent = messageSent();

describe('MarkRead, MarkRoomRead', () => {
  const read: ReadMarkerEvent = {
    type: 'MessagesRead',
    data: { roomId: ROOM, userId: 'carol', upToMessageId: MESSAGE },
  };
  const cases: {
    name: string;
    room?: RoomEvent[];
    marker?: ReadMarkerEvent[];
    message?: MessageEvent[];
    by?: WhoAndWhen;
    whole?: boolean;
    expected: Expected;
  }[] = [
    { name: 'a participant reads up to a message', expected: [read] },
    { name: 'reading up to the same message again records nothing', marker: [read], expected: [] },
    { name: 'reading in an archived room still works', room: [created, archived], expected: [read] },
    {
      name: 'a message of another room is not in this one',
      message: [messageSent({ roomId: OTHER_ROOM })],
      expected: { error: 'not_found' },
    },
    { name: 'no such message', message: [], expected: { error: 'not_found' } },
    {
      name: 'someone who left can no longer read',
      room: [created, left('carol')],
      expected: { error: 'not_a_participant' },
    },
    { name: 'an outsider has nothing to read', by: dave, expected: { error: 'not_a_participant' } },
    {
      name: 'a participant marks the whole room read',
      whole: true,
      expected: [{ type: 'RoomMarkedRead', data: { roomId: ROOM, userId: 'carol' } }],
    },
    {
      name: 'marking the room read again is recorded again (new messages may have come)',
      whole: true,
      marker: [{ type: 'RoomMarkedRead', data: { roomId: ROOM, userId: 'carol' } }],
      expected: [{ type: 'RoomMarkedRead', data: { roomId: ROOM, userId: 'carol' } }],
    },
    {
      name: 'someone removed cannot mark the room read',
      whole: true,
      room: [created, removed('carol')],
      expected: { error: 'not_a_participant' },
    },
  ];
  it.each(cases)(
    '$name',
    ({ room = [created], marker = [], message = [sent], by = carol, whole, expected }) => {
      const roomState = fold(roomAggregate, room);
      const markerState = fold(readMarkerAggregate, marker);
      expectThen(
        () =>
          whole
            ? decideMarkRoomRead({ roomId: ROOM }, markerState, by, roomState)
            : decideMarkRead({ roomId: ROOM, upToMessageId: MESSAGE }, markerState, by, {
                room: roomState,
                message: fold(messageAggregate, message),
              }),
        expected,
      );
    },
  );
});

describe('BlockUser, UnblockUser', () => {
  const blocked: BlockEvent = { type: 'UserBlocked', data: { userId: 'bob', blockedUserId: 'dave' } };
  const cases: { name: string; given: BlockEvent[]; block: boolean; userId?: string; expected: Expected }[] =
    [
      { name: 'bob blocks dave', given: [], block: true, expected: [blocked] },
      { name: 'blocking twice records it once', given: [blocked], block: true, expected: [] },
      {
        name: 'nobody blocks themself',
        given: [],
        block: true,
        userId: 'bob',
        expected: { error: 'cannot_block_self' },
      },
      {
        name: 'bob unblocks dave',
        given: [blocked],
        block: false,
        expected: [{ type: 'UserUnblocked', data: { userId: 'bob', blockedUserId: 'dave' } }],
      },
      { name: 'unblocking someone not blocked records nothing', given: [], block: false, expected: [] },
    ];
  it.each(cases)('$name', ({ given, block, userId = 'dave', expected }) => {
    const state = fold(blocksAggregate, given);
    expectThen(() => (block ? decideBlockUser : decideUnblockUser)({ userId }, state, bob), expected);
  });
});

describe('ReportMessage, HideMessage, RestoreMessage, ResolveReport', () => {
  const REPORT = '0190f000-0000-7000-8000-0000000000c1';
  const reported: ReportEvent = {
    type: 'MessageReported',
    data: { reportId: REPORT, messageId: MESSAGE, roomId: ROOM, reporterId: 'carol', reason: 'Offensive' },
  };
  const hidden = (by: string): MessageEvent => ({
    type: 'MessageHidden',
    data: { messageId: MESSAGE, roomId: ROOM, hiddenBy: by, reason: 'Offensive' },
  });
  type Case = {
    name: string;
    room?: RoomEvent[];
    message?: MessageEvent[];
    report?: ReportEvent[];
    when: 'report' | 'hide' | 'restore' | 'dismiss' | 'resolveForOtherMessage';
    by: WhoAndWhen;
    reason?: string;
    expected: Expected;
  };
  const cases: Case[] = [
    { name: 'a participant reports a message', when: 'report', by: carol, expected: [reported] },
    { name: 'reporting again records nothing', report: [reported], when: 'report', by: carol, expected: [] },
    { name: 'an outsider cannot report', when: 'report', by: dave, expected: { error: 'not_a_participant' } },
    {
      name: 'the moderation pipeline reports a message of a room it is not in (the webhook)',
      when: 'report',
      by: pipeline,
      expected: [{ ...reported, data: { ...reported.data, reporterId: 'moderation-bot' } }],
    },
    {
      name: 'a report needs a reason',
      when: 'report',
      by: carol,
      reason: '  ',
      expected: { error: 'invalid_input' },
    },
    {
      name: 'reporting no message',
      message: [],
      when: 'report',
      by: carol,
      expected: { error: 'not_found' },
    },
    { name: 'a moderator hides a message', when: 'hide', by: moderator, expected: [hidden('mod')] },
    {
      name: 'the moderation pipeline hides a message',
      when: 'hide',
      by: pipeline,
      expected: [hidden('moderation-bot')],
    },
    {
      name: 'hiding twice records it once',
      message: [sent, hidden('mod')],
      when: 'hide',
      by: moderator,
      expected: [],
    },
    { name: 'participants do not hide messages', when: 'hide', by: bob, expected: { error: 'forbidden' } },
    {
      name: 'hiding needs a reason',
      when: 'hide',
      by: moderator,
      reason: '',
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a moderator restores a hidden message',
      message: [sent, hidden('mod')],
      when: 'restore',
      by: moderator,
      expected: [{ type: 'MessageRestored', data: { messageId: MESSAGE, roomId: ROOM, restoredBy: 'mod' } }],
    },
    { name: 'restoring a visible message records nothing', when: 'restore', by: moderator, expected: [] },
    {
      name: 'participants do not restore messages',
      message: [sent, hidden('mod')],
      when: 'restore',
      by: bob,
      expected: { error: 'forbidden' },
    },
    {
      name: 'a moderator dismisses a report',
      report: [reported],
      when: 'dismiss',
      by: moderator,
      expected: [
        {
          type: 'ReportResolved',
          data: {
            reportId: REPORT,
            resolvedBy: 'mod',
            action: 'dismissed',
            messageId: MESSAGE,
            roomId: ROOM,
          },
        },
      ],
    },
    {
      name: 'the first resolution stands',
      report: [
        reported,
        { type: 'ReportResolved', data: { reportId: REPORT, resolvedBy: 'mod', action: 'hidden' } },
      ],
      when: 'dismiss',
      by: moderator,
      expected: [],
    },
    { name: 'resolving no report', when: 'dismiss', by: moderator, expected: { error: 'not_found' } },
    {
      name: 'participants do not resolve reports',
      report: [reported],
      when: 'dismiss',
      by: carol,
      expected: { error: 'forbidden' },
    },
    {
      name: 'a hide resolves only reports about the hidden message',
      report: [reported],
      when: 'resolveForOtherMessage',
      by: moderator,
      expected: { error: 'invalid_input' },
    },
  ];
  it.each(cases)(
    '$name',
    ({ room = [created], message = [sent], report = [], when, by, reason = 'Offensive', expected }) => {
      const messageState = fold(messageAggregate, message);
      const reportState = fold(reportAggregate, report);
      expectThen(() => {
        switch (when) {
          case 'report':
            return decideReportMessage({ reportId: REPORT, messageId: MESSAGE, reason }, reportState, by, {
              message: messageState,
              room: fold(roomAggregate, room),
            });
          case 'hide':
            return decideHideMessage({ messageId: MESSAGE, reason }, messageState, by);
          case 'restore':
            return decideRestoreMessage({ messageId: MESSAGE }, messageState, by);
          case 'dismiss':
            return decideResolveReport({ reportId: REPORT, action: 'dismissed' }, reportState, by);
          case 'resolveForOtherMessage':
            return decideResolveReport(
              { reportId: REPORT, action: 'hidden', messageId: OTHER_ROOM },
              reportState,
              by,
            );
        }
      }, expected);
    },
  );
});
