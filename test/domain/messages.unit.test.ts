// Messages: given the room's and the message's events, when a command, then events or a DomainError code.
import { describe, expect, it } from 'vitest';
import type { WhoAndWhen } from '../../src/domain/actor.ts';
import { blocksAggregate, type PairBlocks } from '../../src/domain/blocks.ts';
import type { MessageEvent, RoomEvent } from '../../src/domain/events.ts';
import { MAX_ATTACHMENT_BYTES, MAX_MESSAGE_LENGTH } from '../../src/domain/limits.ts';
import { messageAggregate } from '../../src/domain/message.ts';
import {
  decideAddReaction,
  decideDeleteMessage,
  decideEditMessage,
  decideRemoveReaction,
  decideSendMessage,
  type SendMessage,
} from '../../src/domain/messageCommands.ts';
import { roomAggregate } from '../../src/domain/room.ts';
import {
  adminSet,
  archived,
  as,
  directRoomCreated,
  type Expected,
  expectThen,
  fold,
  LATER,
  left,
  MESSAGE,
  messageSent,
  muted,
  OTHER_ROOM,
  photo,
  ROOM,
  removed,
  roomCreated,
} from './given.ts';

const created = roomCreated();
const alice = as('alice');
const bob = as('bob');
const carol = as('carol');
const dave = as('dave');
const moderator = as('mod', ['moderator']);
const REPLIED = '0190f000-0000-7000-8000-0000000000b2';

describe('SendMessage', () => {
  type Case = {
    name: string;
    room: RoomEvent[];
    existing?: MessageEvent[];
    send?: Partial<SendMessage>;
    by?: WhoAndWhen;
    replyTo?: MessageEvent[];
    pairBlocks?: PairBlocks;
    expected: Expected;
  };
  const sent = messageSent();
  const cases: Case[] = [
    { name: 'a participant sends text', room: [created], expected: [sent] },
    { name: 'an outsider cannot send', room: [created], by: dave, expected: { error: 'not_a_participant' } },
    {
      name: 'someone who left can no longer write',
      room: [created, left('bob')],
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'someone removed can no longer write',
      room: [created, removed('bob')],
      expected: { error: 'not_a_participant' },
    },
    { name: 'an unknown room', room: [], expected: { error: 'not_found' } },
    {
      name: 'an archived room refuses new messages',
      room: [created, archived],
      expected: { error: 'room_archived' },
    },
    {
      name: 'a muted participant is refused until the mute ends',
      room: [created, muted('bob', LATER)],
      expected: { error: 'participant_muted' },
    },
    {
      name: 'a mute without end holds until lifted',
      room: [created, muted('bob', null)],
      expected: { error: 'participant_muted' },
    },
    {
      name: 'once the mute has ended the participant writes again',
      room: [created, muted('bob', LATER)],
      by: as('bob', [], new Date(LATER)),
      expected: [sent],
    },
    {
      name: 'an unmuted participant writes again',
      room: [
        created,
        muted('bob', null),
        { type: 'ParticipantUnmuted', data: { roomId: ROOM, userId: 'bob', unmutedBy: 'alice' } },
      ],
      expected: [sent],
    },
    {
      name: `${MAX_MESSAGE_LENGTH} characters fit`,
      room: [created],
      send: { content: 'x'.repeat(MAX_MESSAGE_LENGTH) },
      expected: [messageSent({ content: 'x'.repeat(MAX_MESSAGE_LENGTH) })],
    },
    {
      name: 'length counts characters, not UTF-16 units',
      room: [created],
      send: { content: '👍'.repeat(MAX_MESSAGE_LENGTH) },
      expected: [messageSent({ content: '👍'.repeat(MAX_MESSAGE_LENGTH) })],
    },
    {
      name: 'one character more is too long',
      room: [created],
      send: { content: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) },
      expected: { error: 'message_too_long' },
    },
    {
      name: 'blank text without attachment is refused',
      room: [created],
      send: { content: '  \n ' },
      expected: { error: 'content_required' },
    },
    {
      name: 'an attachment needs no text; an image attachment makes an image message',
      room: [created],
      send: { content: '', attachment: photo },
      expected: [messageSent({ content: '', attachment: photo, messageType: 'image' })],
    },
    {
      name: 'an attachment over the size limit is refused',
      room: [created],
      send: { content: '', attachment: { ...photo, sizeBytes: MAX_ATTACHMENT_BYTES + 1 } },
      expected: { error: 'attachment_too_large' },
    },
    {
      name: 'an attachment type outside the allow-list is refused',
      room: [created],
      send: { content: '', attachment: { ...photo, contentType: 'text/html' } },
      expected: { error: 'attachment_type_not_allowed' },
    },
    {
      name: 'a file message needs an attachment',
      room: [created],
      send: { messageType: 'file' },
      expected: { error: 'attachment_required' },
    },
    {
      name: 'a reply to a message of the same room',
      room: [created],
      send: { replyTo: REPLIED },
      replyTo: [messageSent({ messageId: REPLIED, senderId: 'alice' })],
      expected: [messageSent({ replyTo: REPLIED })],
    },
    {
      name: 'a reply to a message of another room is refused',
      room: [created],
      send: { replyTo: REPLIED },
      replyTo: [messageSent({ messageId: REPLIED, roomId: OTHER_ROOM })],
      expected: { error: 'invalid_reply_to' },
    },
    {
      name: 'a reply to no message is refused',
      room: [created],
      send: { replyTo: REPLIED },
      expected: { error: 'invalid_reply_to' },
    },
    {
      name: 'participants do not post system messages',
      room: [created],
      send: { messageType: 'system' },
      expected: { error: 'forbidden' },
    },
    {
      name: 'the server (ops) posts system messages',
      room: [created],
      send: { messageType: 'system', content: 'Bob joined' },
      by: as('server', ['ops']),
      expected: [
        messageSent({
          messageType: 'system',
          content: 'Bob joined',
          senderId: 'server',
          senderUsername: 'server',
        }),
      ],
    },
    {
      name: 'a retried client_id with the same message records nothing (the original is the answer)',
      room: [created],
      send: { clientId: 'c-1' },
      existing: [messageSent({ clientId: 'c-1' })],
      expected: [],
    },
    {
      name: 'a retry is answered even after the sender was muted meanwhile',
      room: [created, muted('bob', null)],
      send: { clientId: 'c-1' },
      existing: [messageSent({ clientId: 'c-1' })],
      expected: [],
    },
    {
      name: 'the same client_id with other content is a conflict',
      room: [created],
      send: { clientId: 'c-1', content: 'Something else' },
      existing: [messageSent({ clientId: 'c-1' })],
      expected: { error: 'idempotency_conflict' },
    },
    {
      name: 'in a direct room, a blocked user cannot write to the blocker',
      room: [directRoomCreated(ROOM, 'alice', 'bob')],
      pairBlocks: {
        actor: blocksAggregate.initialState(),
        other: {
          userId: 'alice',
          blocks: fold(blocksAggregate, [
            { type: 'UserBlocked', data: { userId: 'alice', blockedUserId: 'bob' } },
          ]),
        },
      },
      expected: { error: 'user_blocked' },
    },
    {
      name: 'in a direct room without blocks, either writes',
      room: [directRoomCreated(ROOM, 'alice', 'bob')],
      pairBlocks: {
        actor: blocksAggregate.initialState(),
        other: { userId: 'alice', blocks: blocksAggregate.initialState() },
      },
      expected: [sent],
    },
  ];

  it.each(cases)('$name', ({ room, existing = [], send = {}, by = bob, replyTo, pairBlocks, expected }) => {
    const command: SendMessage = { messageId: MESSAGE, roomId: ROOM, content: 'The sink leaks', ...send };
    expectThen(
      () =>
        decideSendMessage(command, fold(messageAggregate, existing), by, {
          room: fold(roomAggregate, room),
          replyTo: replyTo && fold(messageAggregate, replyTo),
          pairBlocks,
        }),
      expected,
    );
  });
});

describe('EditMessage, DeleteMessage, reactions', () => {
  type Case = {
    name: string;
    room?: RoomEvent[];
    message: MessageEvent[];
    action: Action;
    expected: Expected;
  };
  const sent = messageSent();
  const deleted: MessageEvent = {
    type: 'MessageDeleted',
    data: { messageId: MESSAGE, roomId: ROOM, deletedBy: 'bob' },
  };
  const hidden: MessageEvent = {
    type: 'MessageHidden',
    data: { messageId: MESSAGE, roomId: ROOM, hiddenBy: 'mod', reason: 'spam' },
  };
  const edit = (by: WhoAndWhen, content = 'The sink leaks badly') => ({
    kind: 'edit' as const,
    by,
    content,
  });
  const remove = (by: WhoAndWhen) => ({ kind: 'delete' as const, by });
  const react = (by: WhoAndWhen, emoji = '👍') => ({ kind: 'react' as const, by, emoji });
  const unreact = (by: WhoAndWhen, emoji = '👍') => ({ kind: 'unreact' as const, by, emoji });
  type Action =
    | ReturnType<typeof edit>
    | ReturnType<typeof remove>
    | ReturnType<typeof react>
    | ReturnType<typeof unreact>;

  const edited = (content = 'The sink leaks badly') => ({
    type: 'MessageEdited',
    data: { messageId: MESSAGE, roomId: ROOM, content, editedBy: 'bob' },
  });
  const deletedBy = (by: string) => ({
    type: 'MessageDeleted',
    data: { messageId: MESSAGE, roomId: ROOM, deletedBy: by },
  });
  const reacted = {
    type: 'ReactionAdded',
    data: { messageId: MESSAGE, roomId: ROOM, userId: 'carol', emoji: '👍' },
  };

  const cases: Case[] = [
    { name: 'the sender edits', message: [sent], action: edit(bob), expected: [edited()] },
    {
      name: 'only the sender edits',
      message: [sent],
      action: edit(alice),
      expected: { error: 'not_message_sender' },
    },
    {
      name: 'the same text again records nothing',
      message: [sent],
      action: edit(bob, 'The sink leaks'),
      expected: [],
    },
    {
      name: 'a sender who left cannot edit any more',
      room: [created, left('bob')],
      message: [sent],
      action: edit(bob),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'a deleted message cannot be edited',
      message: [sent, deleted],
      action: edit(bob),
      expected: { error: 'message_deleted' },
    },
    {
      name: 'a hidden message cannot be edited',
      message: [sent, hidden],
      action: edit(bob),
      expected: { error: 'message_hidden' },
    },
    {
      name: 'an edit obeys the length limit',
      message: [sent],
      action: edit(bob, 'x'.repeat(MAX_MESSAGE_LENGTH + 1)),
      expected: { error: 'message_too_long' },
    },
    {
      name: 'an edit cannot blank a text message',
      message: [sent],
      action: edit(bob, ''),
      expected: { error: 'content_required' },
    },
    {
      name: 'no edits in an archived room',
      room: [created, archived],
      message: [sent],
      action: edit(bob),
      expected: { error: 'room_archived' },
    },
    {
      name: 'a muted sender cannot edit',
      room: [created, muted('bob', LATER)],
      message: [sent],
      action: edit(bob),
      expected: { error: 'participant_muted' },
    },
    { name: 'editing no message', message: [], action: edit(bob), expected: { error: 'not_found' } },
    { name: 'the sender deletes', message: [sent], action: remove(bob), expected: [deletedBy('bob')] },
    { name: 'a room admin deletes', message: [sent], action: remove(alice), expected: [deletedBy('alice')] },
    {
      name: 'a moderator deletes without being in the room',
      message: [sent],
      action: remove(moderator),
      expected: [deletedBy('mod')],
    },
    {
      name: 'another participant cannot delete',
      message: [sent],
      action: remove(carol),
      expected: { error: 'not_message_sender' },
    },
    {
      name: 'a sender who was removed cannot delete any more',
      room: [created, removed('bob')],
      message: [sent],
      action: remove(bob),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'an admin who stepped down deletes only their own',
      room: [created, adminSet('bob', true), adminSet('alice', false)],
      message: [sent],
      action: remove(alice),
      expected: { error: 'not_message_sender' },
    },
    { name: 'deleting twice records it once', message: [sent, deleted], action: remove(bob), expected: [] },
    {
      name: 'a moderator cannot delete in a direct room they are not in',
      room: [directRoomCreated(ROOM, 'alice', 'bob')],
      message: [sent],
      action: remove(moderator),
      expected: { error: 'not_a_participant' },
    },
    { name: 'a participant reacts', message: [sent], action: react(carol), expected: [reacted] },
    {
      name: 'the same reaction twice records it once',
      message: [sent, reacted as MessageEvent],
      action: react(carol),
      expected: [],
    },
    {
      name: 'an outsider cannot react',
      message: [sent],
      action: react(dave),
      expected: { error: 'not_a_participant' },
    },
    {
      name: 'no reactions on a deleted message',
      message: [sent, deleted],
      action: react(carol),
      expected: { error: 'message_deleted' },
    },
    {
      name: 'a reaction is not blank',
      message: [sent],
      action: react(carol, ' '),
      expected: { error: 'invalid_input' },
    },
    {
      name: 'a participant takes back a reaction',
      message: [sent, reacted as MessageEvent],
      action: unreact(carol),
      expected: [{ ...reacted, type: 'ReactionRemoved' }],
    },
    {
      name: 'taking back a reaction never given records nothing',
      message: [sent],
      action: unreact(carol),
      expected: [],
    },
  ];

  it.each(cases)('$name', ({ room = [created], message, action, expected }) => {
    const roomState = fold(roomAggregate, room);
    const messageState = fold(messageAggregate, message);
    expectThen(() => {
      switch (action.kind) {
        case 'edit':
          return decideEditMessage(
            { messageId: MESSAGE, content: action.content },
            messageState,
            action.by,
            roomState,
          );
        case 'delete':
          return decideDeleteMessage({ messageId: MESSAGE }, messageState, action.by, roomState);
        case 'react':
          return decideAddReaction(
            { messageId: MESSAGE, emoji: action.emoji },
            messageState,
            action.by,
            roomState,
          );
        case 'unreact':
          return decideRemoveReaction(
            { messageId: MESSAGE, emoji: action.emoji },
            messageState,
            action.by,
            roomState,
          );
      }
    }, expected);
  });

  it('the message state keeps the original send and the current text', () => {
    const state = fold(messageAggregate, [sent, edited() as MessageEvent, deleted]);
    expect(state).toMatchObject({ content: 'The sink leaks badly', deleted: true, sent: sent.data });
  });
});
