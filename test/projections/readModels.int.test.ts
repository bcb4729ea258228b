// The read models from events, through the live runner and the query functions REST and realtime call.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedFrameOf } from '../../src/contract/frames.ts';
import type { ChatEvent } from '../../src/domain/events.ts';
import { participantId, reportId } from '../../src/domain/streams.ts';
import type { FeedEntry } from '../../src/projections/changeFeed.ts';
import {
  getMessageEditHistory,
  getMessageForUser,
  listMessages,
  messageReaders,
} from '../../src/projections/chat/queries/messages.ts';
import {
  getMembership,
  getParticipantForUser,
  listParticipants,
  unreadCount,
} from '../../src/projections/chat/queries/participants.ts';
import { readRoomFeed } from '../../src/projections/chat/queries/roomFeed.ts';
import { getRoomForUser, listRoomsForUser } from '../../src/projections/chat/queries/rooms.ts';
import { type ProjectionsHandle, startProjections } from '../../src/projections/projectionRunner.ts';
import { projectionStatus } from '../../src/projections/projectionStatus.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { listBlockedUsers, listReports } from '../../src/projections/safety/queries.ts';
import {
  appendEvents,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
  waitForProjection,
} from './support/readModels.ts';

let context: ProjectionTestContext;
let runner: ProjectionsHandle;
const published: FeedEntry[] = [];

beforeAll(async () => {
  context = await createProjectionTestContext('projections_read');
  runner = await startProjections({
    pool: context.pool,
    projections: PROJECTIONS,
    eventStore: context.eventStore,
    publisher: { publish: async (entries) => void published.push(...entries) },
    retryMs: 100,
  });
});
afterAll(async () => {
  await runner.stop();
  await closeProjectionTestContext(context);
});

const room = randomUUID();
const [m1, m2, m3, m4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const sent = (messageId: string, senderId: string, content: string): ChatEvent => ({
  type: 'MessageSent',
  data: {
    messageId,
    roomId: room,
    senderId,
    senderUsername: senderId.toUpperCase(),
    messageType: 'text',
    content,
  },
});

async function given(...events: ChatEvent[]) {
  await waitForProjection(context.pool, await appendEvents(context.eventStore, events));
}

describe('chat read models', () => {
  it('lists a room for its members with the last message and unread counts, newest activity first', async () => {
    const quiet = randomUUID();
    await given(
      {
        type: 'RoomCreated',
        data: {
          roomId: quiet,
          name: 'Quiet',
          roomType: 'property',
          propertyId: 'p-9',
          createdBy: 'alice',
          participants: [{ userId: 'alice', username: 'ALICE', isAdmin: true }],
          settings: {},
        },
      },
      {
        type: 'RoomCreated',
        data: {
          roomId: room,
          name: 'Unit 4B',
          roomType: 'task',
          taskId: 't-1',
          createdBy: 'alice',
          participants: [
            { userId: 'alice', username: 'ALICE', isAdmin: true },
            { userId: 'bob', username: 'BOB', isAdmin: false },
            { userId: 'carol', username: 'CAROL', isAdmin: false },
          ],
          settings: {},
        },
      },
      sent(m1, 'alice', 'first'),
      sent(m2, 'bob', 'second'),
      sent(m3, 'alice', 'third'),
    );
    const { rooms } = await listRoomsForUser(context.pool, 'alice', { limit: 10 });
    expect(rooms.map((r) => r.name)).toEqual(['Unit 4B', 'Quiet']);
    expect(rooms[0]).toMatchObject({
      room_type: 'task',
      task: 't-1',
      participant_count: 3,
      unread_count: 0, // bob's message came before alice's own, which moved her marker past it
      last_message: { id: m3, content: 'third', sender: { id: 'alice', username: 'ALICE' } },
    });
    // bob's own message moved his marker past 'first'; only 'third' is new to him
    expect((await getRoomForUser(context.pool, room, 'bob'))!.unread_count).toBe(1);
    expect(await unreadCount(context.pool, room, 'carol')).toBe(3);
    expect(await getRoomForUser(context.pool, room, 'mallory')).toBeNull();
    const filtered = await listRoomsForUser(context.pool, 'alice', { limit: 10, property: 'p-9' });
    expect(filtered.rooms.map((r) => r.id)).toEqual([quiet]);
    const page1 = await listRoomsForUser(context.pool, 'alice', { limit: 1 });
    const page2 = await listRoomsForUser(context.pool, 'alice', { limit: 1, cursor: page1.nextCursor! });
    expect([...page1.rooms, ...page2.rooms].map((r) => r.id)).toEqual([room, quiet]);
  });

  it('pages messages by seq and keeps the order of the global log', async () => {
    const all = (await listMessages(context.pool, room, 'bob', { limit: 50 }))!;
    expect(all.map((m) => m.content)).toEqual(['first', 'second', 'third']);
    expect(all.map((m) => m.seq)).toEqual([2, 3, 4]);
    const older = (await listMessages(context.pool, room, 'bob', { before: 4, limit: 1 }))!;
    expect(older.map((m) => m.id)).toEqual([m2]);
    const newer = (await listMessages(context.pool, room, 'bob', { after: 2, limit: 10 }))!;
    expect(newer.map((m) => m.id)).toEqual([m2, m3]);
    expect(await listMessages(context.pool, room, 'mallory', { limit: 10 })).toBeNull();
  });

  it('moves read markers and derives who has read a message', async () => {
    await given({ type: 'MessagesRead', data: { roomId: room, userId: 'bob', upToMessageId: m3 } });
    expect(await unreadCount(context.pool, room, 'bob')).toBe(0);
    const readers = (await messageReaders(context.pool, m2, 'alice'))!;
    // bob sent m2 (not a reader of his own); alice's later message moved her marker past it
    expect(readers.map((r) => r.user.id)).toEqual(['alice']);
    expect((await messageReaders(context.pool, m1, 'alice'))!.map((r) => r.user.id)).toEqual(['bob']);
    await given({ type: 'RoomMarkedRead', data: { roomId: room, userId: 'carol' } });
    expect(await unreadCount(context.pool, room, 'carol')).toBe(0);
    const receipts = published.filter((entry) => entry.frame.type === 'read_receipt');
    expect(receipts.at(-1)!.frame).toMatchObject({ user_id: 'carol', message_id: m3, room_id: room });
  });

  it('keeps edit history, and drops text and history of deleted and hidden messages', async () => {
    await given(
      {
        type: 'MessageEdited',
        data: { messageId: m1, roomId: room, content: 'first (fixed)', editedBy: 'alice' },
      },
      sent(m4, 'bob', 'to be hidden'),
      { type: 'MessageEdited', data: { messageId: m4, roomId: room, content: 'hidden v2', editedBy: 'bob' } },
      { type: 'MessageDeleted', data: { messageId: m2, roomId: room, deletedBy: 'bob' } },
      { type: 'MessageHidden', data: { messageId: m4, roomId: room, hiddenBy: 'mod', reason: 'spam' } },
    );
    expect(await getMessageForUser(context.pool, m1, 'bob')).toMatchObject({
      content: 'first (fixed)',
      is_edited: true,
    });
    expect((await getMessageEditHistory(context.pool, m1, 'bob'))!.map((e) => e.content)).toEqual(['first']);
    const page = (await listMessages(context.pool, room, 'bob', { limit: 50 }))!;
    expect(page.map((m) => [m.id, m.content, m.is_deleted, m.is_hidden])).toEqual([
      [m1, 'first (fixed)', false, false],
      [m2, '', true, false],
      [m3, 'third', false, false],
      [m4, '', false, true],
    ]);
    expect(await getMessageEditHistory(context.pool, m4, 'bob')).toEqual([]);
    // nor does the feed a resuming client reads keep the text of what was deleted or hidden
    const replay = JSON.stringify(await readRoomFeed(context.pool, room, 0, 1000));
    expect(replay).not.toContain('to be hidden');
    expect(replay).not.toContain('hidden v2');
    expect(replay).not.toContain('"second"');
    const stored = await context.pool.query(
      `SELECT count(*)::int AS n FROM chat_read.room_feed
       WHERE frame::text LIKE '%to be hidden%' OR frame::text LIKE '%hidden v2%' OR frame::text LIKE '%"second"%'`,
    );
    expect(stored.rows[0].n).toBe(0);
    const { rows } = await context.pool.query(
      `SELECT count(*)::int AS n FROM chat_read.messages WHERE content LIKE '%hidden%' OR content = 'second'`,
    );
    expect(rows[0].n).toBe(0);
    expect(await unreadCount(context.pool, room, 'alice')).toBe(0); // the hidden one does not count

    await given({ type: 'MessageRestored', data: { messageId: m4, roomId: room, restoredBy: 'mod' } });
    expect(await getMessageForUser(context.pool, m4, 'alice')).toMatchObject({
      content: 'hidden v2',
      is_hidden: false,
    });
    expect((await getMessageEditHistory(context.pool, m4, 'alice'))!.map((e) => e.content)).toEqual([
      'to be hidden',
    ]);
  });

  it('aggregates reactions and publishes them after the batch commits', async () => {
    await given(
      { type: 'ReactionAdded', data: { messageId: m3, roomId: room, userId: 'bob', emoji: '👍' } },
      { type: 'ReactionAdded', data: { messageId: m3, roomId: room, userId: 'carol', emoji: '👍' } },
    );
    expect((await getMessageForUser(context.pool, m3, 'alice'))!.reactions).toEqual([
      { emoji: '👍', count: 2, user_ids: ['bob', 'carol'] },
    ]);
    const feed = await readRoomFeed(context.pool, room, 0, 1000);
    expect(feed.map((entry) => entry.seq)).toEqual(feed.map((_, i) => i + 1));
    // a resuming client reads the same changes, in the same order, as realtime got live ...
    const live = published.filter((entry) => entry.roomId === room);
    const shape = (entry: FeedEntry) => [entry.seq, entry.position, entry.frame.type];
    expect(feed.map(shape)).toEqual(live.map(shape));
    // ... the same frames, except that a message in them is the message as it is now
    const withoutMessage = (entry: FeedEntry) => !('message' in entry.frame);
    expect(feed.filter(withoutMessage)).toEqual(live.filter(withoutMessage));
    const firstSent = feed.find((entry) => entry.frame.type === 'chat_message')!;
    expect((firstSent.frame as FeedFrameOf<'chat_message'>).message).toMatchObject({
      id: m1,
      content: 'first (fixed)',
      is_edited: true,
    });
    const secondSent = feed.filter((entry) => entry.frame.type === 'chat_message')[1]!;
    expect((secondSent.frame as FeedFrameOf<'chat_message'>).message).toMatchObject({
      id: m2,
      content: '',
      is_deleted: true,
    });
  });

  it('shows members, their roles and mutes; a removed member reads nothing more', async () => {
    await given(
      {
        type: 'ParticipantMuted',
        data: { roomId: room, userId: 'bob', until: '2030-01-01T00:00:00.000Z', mutedBy: 'alice' },
      },
      { type: 'ParticipantAdminSet', data: { roomId: room, userId: 'bob', isAdmin: true, setBy: 'alice' } },
      { type: 'ParticipantRemoved', data: { roomId: room, userId: 'carol', removedBy: 'alice' } },
    );
    const members = (await listParticipants(context.pool, room, 'alice'))!;
    expect(members.map((p) => [p.user.id, p.is_admin, p.muted])).toEqual([
      ['alice', true, false],
      ['bob', true, true],
    ]);
    expect(members[1]).toMatchObject({
      id: participantId(room, 'bob'),
      muted_until: '2030-01-01T00:00:00.000Z',
    });
    expect(await getParticipantForUser(context.pool, participantId(room, 'carol'), 'alice')).toMatchObject({
      left_at: expect.any(String),
    });
    const carol = (await getMembership(context.pool, room, 'carol'))!;
    expect(carol.active).toBe(false);
    expect(carol.leftSeq).toBeGreaterThan(carol.joinedSeq);
    expect(await listMessages(context.pool, room, 'carol', { limit: 10 })).toBeNull();
    expect(await getMessageForUser(context.pool, m1, 'carol')).toBeNull();
    expect(await listParticipants(context.pool, room, 'carol')).toBeNull();
    expect((await listRoomsForUser(context.pool, 'carol', { limit: 10 })).rooms).toEqual([]);
    expect((await getRoomForUser(context.pool, room, 'alice'))!.participant_count).toBe(2);
  });

  it('shows a name for a sender first seen without one, from the first event that carries it', async () => {
    const sentBy = (senderUsername?: string): ChatEvent => ({
      type: 'MessageSent',
      data: {
        messageId: randomUUID(),
        roomId: room,
        senderId: 'dave',
        ...(senderUsername ? { senderUsername } : {}),
        messageType: 'text',
        content: senderUsername ?? 'nameless',
      },
    });
    // separate batches: the projector keeps rows between them, a missing name too
    await given({
      type: 'ParticipantAdded',
      data: { roomId: room, userId: 'dave', isAdmin: false, addedBy: 'alice' },
    });
    await given(sentBy());
    await given(sentBy());
    await given(sentBy('DAVE'));
    const senders = (await listMessages(context.pool, room, 'dave', { limit: 3 }))!.map(
      (message) => message.sender,
    );
    expect(senders).toEqual([
      { id: 'dave', username: 'DAVE' },
      { id: 'dave', username: 'DAVE' },
      { id: 'dave', username: 'DAVE' },
    ]);
    const frames = published.filter((entry) => entry.frame.type === 'chat_message').slice(-3);
    expect(frames.map((entry) => (entry.frame as FeedFrameOf<'chat_message'>).message.sender)).toEqual([
      { id: 'dave', username: null },
      { id: 'dave', username: null },
      { id: 'dave', username: 'DAVE' },
    ]);
  });

  it('records reports for moderators and users seen in tokens, and reports its status', async () => {
    const report = reportId(m3, 'bob');
    await given(
      {
        type: 'MessageReported',
        data: { reportId: report, messageId: m3, roomId: room, reporterId: 'bob', reason: 'rude' },
      },
      { type: 'UserBlocked', data: { userId: 'bob', blockedUserId: 'alice' } },
    );
    expect(await listReports(context.pool, { status: 'open' })).toMatchObject([
      { id: report, message: m3, reason: 'rude' },
    ]);
    await given(
      { type: 'ReportResolved', data: { reportId: report, resolvedBy: 'mod', action: 'dismissed' } },
      { type: 'UserBlocked', data: { userId: 'bob', blockedUserId: 'carol' } },
      { type: 'UserUnblocked', data: { userId: 'bob', blockedUserId: 'alice' } },
    );
    expect(await listReports(context.pool, { status: 'open' })).toEqual([]);
    expect(await listReports(context.pool, { status: 'dismissed' })).toHaveLength(1);
    expect(await listBlockedUsers(context.pool, 'bob')).toEqual(['carol']);
    const { rows } = await context.pool.query('SELECT id, username FROM chat_read.users ORDER BY id');
    expect(rows).toEqual([
      { id: 'alice', username: 'ALICE' },
      { id: 'bob', username: 'BOB' },
      { id: 'carol', username: 'CAROL' },
      { id: 'dave', username: 'DAVE' },
    ]);
    const [status] = await projectionStatus(context.pool, context.eventStore, PROJECTIONS);
    expect(status).toMatchObject({ name: 'chat', state: 'running', lag: 0, rebuild: null });
    expect(runner.status()[0]!.state).toBe('running');
  });
});
