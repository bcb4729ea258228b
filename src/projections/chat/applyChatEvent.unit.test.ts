import { describe, expect, it } from 'vitest';
import { parseServerFrame } from '../../contract/frames.ts';
import type { ChatEvent, RoomCreated } from '../../domain/events.ts';
import type { RecordedEvent } from '../../eventstore/eventStore.ts';
import {
  applyChatEvent,
  type BatchState,
  emptyBatchState,
  messageSnapshot,
  participantKey,
} from './applyChatEvent.ts';

const ROOM = 'room-1';
let position = 0n;
function recorded(event: ChatEvent, at = '2026-01-01T10:00:00.000Z'): RecordedEvent {
  position += 1n;
  return {
    id: `00000000-0000-4000-8000-${position.toString().padStart(12, '0')}`,
    type: event.type,
    data: event.data,
    metadata: { occurredAt: at, schemaVersion: 1 },
    stream: 'test',
    revision: 0n,
    position: { commit: 1n, prepare: position },
    recordedAt: new Date(at),
  };
}

function given(...events: ChatEvent[]) {
  const state = emptyBatchState();
  for (const event of events) applyChatEvent(state, recorded(event));
  return state;
}

const created: RoomCreated = {
  type: 'RoomCreated',
  data: {
    roomId: ROOM,
    name: 'Unit 4B',
    roomType: 'group',
    createdBy: 'alice',
    participants: [
      { userId: 'alice', username: 'Alice', isAdmin: true },
      { userId: 'bob', username: 'Bob', isAdmin: false },
    ],
    settings: {},
  },
};
const sent = (messageId: string, senderId: string, content = 'hi'): ChatEvent => ({
  type: 'MessageSent',
  data: { messageId, roomId: ROOM, senderId, messageType: 'text', content },
});

describe('chat projection (pure)', () => {
  it('tells users when they are added to a room or taken out of it, and nobody else', () => {
    const state = given(
      created,
      { type: 'ParticipantAdded', data: { roomId: ROOM, userId: 'carol', isAdmin: false, addedBy: 'alice' } },
      { type: 'ParticipantRemoved', data: { roomId: ROOM, userId: 'bob', removedBy: 'alice' } },
      { type: 'ParticipantLeft', data: { roomId: ROOM, userId: 'carol' } },
    );
    expect(
      state.notices.map((notice) => [
        notice.userId,
        notice.frame.type,
        (notice.frame as { reason?: string }).reason,
      ]),
    ).toEqual([
      ['alice', 'room_added', undefined],
      ['bob', 'room_added', undefined],
      ['carol', 'room_added', undefined],
      ['bob', 'room_removed', 'removed'],
      ['carol', 'room_removed', 'left'],
    ]);
    expect(state.notices[2]!.frame).toMatchObject({
      room_id: ROOM,
      room: { name: 'Unit 4B', participant_count: 3 },
    });
    // a rebuild that does not publish tells nobody either
    const quiet = emptyBatchState();
    quiet.publishes = false;
    applyChatEvent(quiet, recorded(created));
    expect(quiet.notices).toEqual([]);
  });

  it('numbers every visible change of a room in order, and a message keeps the seq it was sent at', () => {
    const state = given(created, sent('m1', 'alice'), sent('m2', 'bob'));
    expect(state.feed.map((entry) => [entry.seq, entry.frame.type])).toEqual([
      [1, 'room_created'],
      [2, 'chat_message'],
      [3, 'chat_message'],
    ]);
    expect(state.messages.get('m2')!.seq).toBe(3);
    const frame = state.feed[2]!.frame as Record<string, unknown>;
    expect(frame).toMatchObject({
      room_id: ROOM,
      seq: 3,
      message: { id: 'm2', sender: { id: 'bob', username: 'Bob' } },
    });
    expect(state.rooms.get(ROOM)).toMatchObject({ last_seq: 3, last_message_id: 'm2', participant_count: 2 });
  });

  it('stores frames with their message by reference, so no text is kept twice', () => {
    const state = given(created, sent('m1', 'alice', 'secret'), {
      type: 'RoomUpdated',
      data: { roomId: ROOM, name: 'Renamed', updatedBy: 'alice' },
    });
    expect(state.feed[1]!.frame).toMatchObject({ message: { content: 'secret' } });
    expect(state.feedRows.map((row) => row.message_id)).toEqual([null, 'm1', 'm1']);
    expect(JSON.stringify(state.feedRows)).not.toContain('secret');
    expect(state.feedRows[2]!.frame).toMatchObject({
      type: 'room_updated',
      room: { name: 'Renamed', last_message: null },
    });
  });

  it("advances the sender's own read marker, not the other participants'", () => {
    const state = given(created, sent('m1', 'alice'));
    expect(state.participants.get(participantKey(ROOM, 'alice'))!.last_read_seq).toBe(2);
    expect(state.participants.get(participantKey(ROOM, 'bob'))!.last_read_seq).toBe(1);
  });

  it('moves read markers forward only, with one read receipt per move', () => {
    const state = given(
      created,
      sent('m1', 'alice'),
      sent('m2', 'alice'),
      { type: 'MessagesRead', data: { roomId: ROOM, userId: 'bob', upToMessageId: 'm2' } },
      { type: 'MessagesRead', data: { roomId: ROOM, userId: 'bob', upToMessageId: 'm1' } },
    );
    expect(state.participants.get(participantKey(ROOM, 'bob'))!.last_read_seq).toBe(3);
    expect(state.feed.filter((entry) => entry.frame.type === 'read_receipt')).toHaveLength(1);
    const marked = given(created, sent('m1', 'alice'), {
      type: 'RoomMarkedRead',
      data: { roomId: ROOM, userId: 'bob' },
    });
    expect(marked.participants.get(participantKey(ROOM, 'bob'))!.last_read_seq).toBe(2);
  });

  it('removes the text and edit history of a deleted or hidden message but keeps its row', () => {
    const state = given(
      created,
      {
        type: 'MessageSent',
        data: {
          messageId: 'm1',
          roomId: ROOM,
          senderId: 'alice',
          messageType: 'file',
          content: 'secret',
          attachment: { id: 'f1', fileName: 'a.pdf', contentType: 'application/pdf', sizeBytes: 10 },
        },
      },
      {
        type: 'MessageEdited',
        data: { messageId: 'm1', roomId: ROOM, content: 'secret v2', editedBy: 'alice' },
      },
      { type: 'MessageHidden', data: { messageId: 'm1', roomId: ROOM, hiddenBy: 'mod', reason: 'spam' } },
    );
    expect(state.messages.get('m1')).toMatchObject({
      content: '',
      attachment: null,
      is_hidden: true,
      seq: 2,
    });
    expect(state.edits.get('m1')).toEqual({ replace: true, rows: [] });
    expect(JSON.stringify(state.feed.at(-1)!.frame)).not.toContain('secret');
  });

  it('restores a hidden message to its content as of the restore', () => {
    const restoreEvent = recorded({
      type: 'MessageRestored',
      data: { messageId: 'm1', roomId: ROOM, restoredBy: 'mod' },
    });
    const state = given(created, sent('m1', 'alice', 'original'), {
      type: 'MessageHidden',
      data: { messageId: 'm1', roomId: ROOM, hiddenBy: 'mod', reason: 'x' },
    });
    state.restored.set(restoreEvent.id, messageSnapshot([recorded(sent('m1', 'alice', 'original'))]));
    applyChatEvent(state, restoreEvent);
    expect(state.messages.get('m1')).toMatchObject({ content: 'original', is_hidden: false });
    expect(state.feed.at(-1)!.frame.type).toBe('message_restored');
  });

  it('aggregates reactions per emoji and ignores a repeated reaction', () => {
    const react = (type: 'ReactionAdded' | 'ReactionRemoved', userId: string, emoji: string): ChatEvent => ({
      type,
      data: { messageId: 'm1', roomId: ROOM, userId, emoji },
    });
    const state = given(
      created,
      sent('m1', 'alice'),
      react('ReactionAdded', 'bob', '👍'),
      react('ReactionAdded', 'alice', '👍'),
      react('ReactionAdded', 'alice', '👍'),
      react('ReactionAdded', 'alice', '🎉'),
      react('ReactionRemoved', 'alice', '🎉'),
    );
    expect(state.messages.get('m1')!.reactions).toEqual([{ emoji: '👍', user_ids: ['bob', 'alice'] }]);
    expect(state.feed.filter((entry) => entry.frame.type.startsWith('reaction_'))).toHaveLength(4);
  });

  it('ends a membership at its leave seq and starts a re-join with nothing unread from the absence', () => {
    const state = given(
      created,
      { type: 'ParticipantRemoved', data: { roomId: ROOM, userId: 'bob', removedBy: 'alice' } },
      sent('m1', 'alice'),
      { type: 'ParticipantAdded', data: { roomId: ROOM, userId: 'bob', isAdmin: false, addedBy: 'alice' } },
    );
    const bob = state.participants.get(participantKey(ROOM, 'bob'))!;
    expect(bob).toMatchObject({ left_at: null, left_seq: null, joined_seq: 4, last_read_seq: 4 });
    expect(state.rooms.get(ROOM)!.participant_count).toBe(2);
    expect(state.feed.map((entry) => entry.frame.type)).toEqual([
      'room_created',
      'participant_removed',
      'chat_message',
      'participant_joined',
    ]);
  });

  it('keeps one membership window per stay in the room, from its join frame to its leave frame', () => {
    const state = given(
      created,
      sent('m1', 'alice'),
      { type: 'ParticipantRemoved', data: { roomId: ROOM, userId: 'bob', removedBy: 'alice' } },
      sent('m2', 'alice'),
      { type: 'ParticipantAdded', data: { roomId: ROOM, userId: 'bob', isAdmin: false, addedBy: 'alice' } },
      { type: 'ParticipantLeft', data: { roomId: ROOM, userId: 'bob' } },
      { type: 'ParticipantAdded', data: { roomId: ROOM, userId: 'bob', isAdmin: false, addedBy: 'alice' } },
    );
    const windows = [...state.windows.values()].sort(
      (a, b) => a.user_id.localeCompare(b.user_id) || a.from_seq - b.from_seq,
    );
    expect(windows.map((w) => [w.user_id, w.from_seq, w.to_seq])).toEqual([
      ['alice', 1, null],
      ['bob', 1, 3], // created at 1, removed at 3
      ['bob', 5, 6], // added at 5, left at 6
      ['bob', 7, null], // added again at 7, still in
    ]);
  });

  it('names the message a frame is about, and in a joined room tells realtime to check it per member', () => {
    const joined: RoomCreated = {
      ...created,
      data: { ...created.data, settings: { historyVisibility: 'joined' } },
    };
    const events = (room: ChatEvent) =>
      given(
        room,
        sent('m1', 'alice', 'before carol'),
        {
          type: 'ParticipantAdded',
          data: { roomId: ROOM, userId: 'carol', isAdmin: false, addedBy: 'alice' },
        },
        { type: 'ReactionAdded', data: { messageId: 'm1', roomId: ROOM, userId: 'bob', emoji: '👍' } },
        { type: 'MessagesRead', data: { roomId: ROOM, userId: 'bob', upToMessageId: 'm1' } },
        { type: 'RoomUpdated', data: { roomId: ROOM, name: 'Renamed', updatedBy: 'alice' } },
      );
    const shared = events(created);
    const restricted = events(joined);
    const aboutSeqs = (state: BatchState) => state.feedRows.map((row) => [row.frame.type, row.message_seq]);
    const expected = [
      ['room_created', null],
      ['chat_message', 2],
      ['participant_joined', null],
      ['reaction_added', 2],
      ['read_receipt', 2],
      ['room_updated', null],
    ];
    expect(aboutSeqs(shared)).toEqual(expected);
    expect(aboutSeqs(restricted)).toEqual(expected);
    // only a joined room's live frames carry it: a shared room's go to every member as they are
    expect(shared.feed.map((entry) => entry.messageSeq)).toEqual(expected.map(() => undefined));
    expect(restricted.feed.map((entry) => entry.messageSeq)).toEqual(
      expected.map(([, seq]) => seq ?? undefined),
    );
    // a room frame shows every member the room: in a joined room without a last message carol may not read
    expect(shared.feed.at(-1)!.frame).toMatchObject({ room: { last_message: { content: 'before carol' } } });
    expect(restricted.feed.at(-1)!.frame).toMatchObject({
      room: { last_message: null, settings: { history_visibility: 'joined' } },
    });
    expect(JSON.stringify(restricted.notices)).not.toContain('before carol'); // carol's room_added
    // the stored room frame keeps the reference, for a replay under the setting as it is then
    expect(restricted.feedRows.at(-1)!.message_id).toBe('m1');
  });

  it('builds every frame to the wire contract, and says who a frame concerns when it is projected', () => {
    // ids as the service makes them (the contract checks them)
    const room = '0190f000-0000-7000-8000-00000000a001';
    const m1 = '0190f000-0000-7000-8000-00000000b001';
    const state = given(
      { type: 'RoomCreated', data: { ...created.data, roomId: room } },
      {
        type: 'MessageSent',
        data: { messageId: m1, roomId: room, senderId: 'alice', messageType: 'text', content: 'hi' },
      },
      { type: 'MessageEdited', data: { messageId: m1, roomId: room, content: 'hi!', editedBy: 'alice' } },
      { type: 'ReactionAdded', data: { messageId: m1, roomId: room, userId: 'bob', emoji: '👍' } },
      { type: 'MessagesRead', data: { roomId: room, userId: 'bob', upToMessageId: m1 } },
      { type: 'ParticipantAdminSet', data: { roomId: room, userId: 'bob', isAdmin: true, setBy: 'alice' } },
      { type: 'RoomUpdated', data: { roomId: room, name: 'Unit 4C', updatedBy: 'alice' } },
      { type: 'ParticipantLeft', data: { roomId: room, userId: 'bob' } },
      { type: 'ParticipantAdded', data: { roomId: room, userId: 'carol', isAdmin: false, addedBy: 'alice' } },
      { type: 'ParticipantRemoved', data: { roomId: room, userId: 'carol', removedBy: 'alice' } },
    );
    expect(state.feed).toHaveLength(10);
    for (const entry of state.feed) parseServerFrame(entry.frame);
    for (const notice of state.notices) parseServerFrame(notice.frame);
    const concerns = state.feed
      .filter((entry) => entry.subject !== null || entry.revokes)
      .map((entry) => [entry.frame.type, entry.subject, entry.revokes]);
    expect(concerns).toEqual([
      ['read_receipt', 'bob', false],
      ['participant_left', 'bob', true],
      ['participant_removed', 'carol', true],
    ]);
    // replays read the same from the stored feed
    expect(state.feedRows.filter((row) => row.revokes).map((row) => row.subject)).toEqual(['bob', 'carol']);
  });

  it('folds a message stream into the content a restore brings back', () => {
    const snapshot = messageSnapshot([
      recorded(sent('m1', 'alice', 'one')),
      recorded({
        type: 'MessageEdited',
        data: { messageId: 'm1', roomId: ROOM, content: 'two', editedBy: 'alice' },
      }),
    ]);
    expect(snapshot).toMatchObject({ content: 'two', is_edited: true, is_deleted: false });
    expect(snapshot.edits.map((edit) => edit.content)).toEqual(['one']);
  });
});
