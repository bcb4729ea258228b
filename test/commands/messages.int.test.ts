// Message, reading and safety commands against the real PostgreSQL event store, including retries and
// races of SendMessage with one client_id.
import { describe, expect, it } from 'vitest';
import { addReaction } from '../../src/commands/addReaction.ts';
import { blockUser } from '../../src/commands/blockUser.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { deleteMessage } from '../../src/commands/deleteMessage.ts';
import { editMessage } from '../../src/commands/editMessage.ts';
import { hideMessage } from '../../src/commands/hideMessage.ts';
import { markRead } from '../../src/commands/markRead.ts';
import { markRoomRead } from '../../src/commands/markRoomRead.ts';
import { muteParticipant } from '../../src/commands/muteParticipant.ts';
import { removeParticipant } from '../../src/commands/removeParticipant.ts';
import { reportMessage } from '../../src/commands/reportMessage.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { unblockUser } from '../../src/commands/unblockUser.ts';
import {
  messageIdForClientId,
  messageStream,
  readMarkerStream,
  reportStream,
} from '../../src/domain/streams.ts';
import { as, createGroup, useEventStore } from './support.ts';

const store = await useEventStore('commands_messages');

const groupWith = (...members: string[]) => createGroup(store, 'alice', ...members);

const streamOf = (messageId: string) => store.readStream(messageStream(messageId));

describe('SendMessage with a client_id', () => {
  it('a retry returns the original message and records nothing', async () => {
    const roomId = await groupWith('bob');
    const first = await sendMessage(as(store, 'bob'), { roomId, content: 'Leak in 4B', clientId: 'c-1' });
    const retry = await sendMessage(as(store, 'bob'), { roomId, content: 'Leak in 4B', clientId: 'c-1' });
    expect(first).toMatchObject({ created: true, messageId: messageIdForClientId('bob', 'c-1') });
    expect(retry).toMatchObject({ created: false, messageId: first.messageId, position: first.position });
    expect(retry.message).toEqual(first.message);
    expect(await streamOf(first.messageId)).toHaveLength(1);
  });

  it('retries racing each other store one message, and all answer with it; one says it created it', async () => {
    const roomId = await groupWith('bob');
    const send = () => sendMessage(as(store, 'bob'), { roomId, content: 'Racing', clientId: 'race-1' });
    const results = await Promise.all([send(), send(), send(), send()]);
    const messageId = messageIdForClientId('bob', 'race-1');
    expect(new Set(results.map((r) => r.messageId))).toEqual(new Set([messageId]));
    expect(new Set(results.map((r) => r.position)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const events = await streamOf(messageId);
    expect(events.map((e) => e.type)).toEqual(['MessageSent']);
  });

  it('a retry after the sender was removed still answers with the message it sent', async () => {
    const roomId = await groupWith('bob');
    const first = await sendMessage(as(store, 'bob'), { roomId, content: 'Before', clientId: 'c-gone' });
    await removeParticipant(as(store, 'alice'), { roomId, userId: 'bob' });
    const retry = await sendMessage(as(store, 'bob'), { roomId, content: 'Before', clientId: 'c-gone' });
    expect(retry).toMatchObject({ created: false, messageId: first.messageId, position: first.position });
    await expect(
      sendMessage(as(store, 'bob'), { roomId, content: 'After', clientId: 'c-new' }),
    ).rejects.toMatchObject({ code: 'not_a_participant' });
  });

  it('the same client_id with other content is a conflict, also when both race', async () => {
    const roomId = await groupWith('bob');
    await sendMessage(as(store, 'bob'), { roomId, content: 'One', clientId: 'c-2' });
    await expect(
      sendMessage(as(store, 'bob'), { roomId, content: 'Two', clientId: 'c-2' }),
    ).rejects.toMatchObject({
      code: 'idempotency_conflict',
    });

    const outcomes = await Promise.allSettled([
      sendMessage(as(store, 'bob'), { roomId, content: 'Three', clientId: 'c-3' }),
      sendMessage(as(store, 'bob'), { roomId, content: 'Four', clientId: 'c-3' }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'idempotency_conflict' });
    expect(await streamOf(messageIdForClientId('bob', 'c-3'))).toHaveLength(1);
  });

  it('client ids are per sender: two users with the same client_id send two messages', async () => {
    const roomId = await groupWith('bob', 'carol');
    const [fromBob, fromCarol] = await Promise.all([
      sendMessage(as(store, 'bob'), { roomId, content: 'Hi', clientId: 'same' }),
      sendMessage(as(store, 'carol'), { roomId, content: 'Hi', clientId: 'same' }),
    ]);
    expect(fromBob.messageId).not.toBe(fromCarol.messageId);
    expect([fromBob.created, fromCarol.created]).toEqual([true, true]);
  });
});

describe('SendMessage rules over the store', () => {
  it('a muted participant is refused until the mute ends', async () => {
    const roomId = await groupWith('bob');
    const until = new Date(Date.now() + 60 * 60_000);
    await muteParticipant(as(store, 'alice'), { roomId, userId: 'bob', until: until.toISOString() });
    await expect(sendMessage(as(store, 'bob'), { roomId, content: 'Hello?' })).rejects.toMatchObject({
      code: 'participant_muted',
    });
    const afterwards = { ...as(store, 'bob'), now: () => new Date(until.getTime() + 1) };
    await expect(sendMessage(afterwards, { roomId, content: 'Hello again' })).resolves.toMatchObject({
      created: true,
    });
  });

  it('a reply must answer a message of the same room', async () => {
    const roomId = await groupWith('bob');
    const elsewhere = await groupWith('bob');
    const original = await sendMessage(as(store, 'bob'), { roomId: elsewhere, content: 'Elsewhere' });
    await expect(
      sendMessage(as(store, 'bob'), { roomId, content: 'Re', replyTo: original.messageId }),
    ).rejects.toMatchObject({ code: 'invalid_reply_to' });
    const here = await sendMessage(as(store, 'bob'), { roomId, content: 'Here' });
    const reply = await sendMessage(as(store, 'alice'), { roomId, content: 'Re', replyTo: here.messageId });
    expect(reply.message.replyTo).toBe(here.messageId);
  });

  it('in a direct room, a block stops both from writing until it is lifted', async () => {
    const { roomId } = await createRoom(as(store, 'kim'), { roomType: 'direct', participantIds: ['lee'] });
    await sendMessage(as(store, 'lee'), { roomId, content: 'Hi Kim' });
    await blockUser(as(store, 'kim'), { userId: 'lee' });
    await expect(sendMessage(as(store, 'lee'), { roomId, content: 'Hello?' })).rejects.toMatchObject({
      code: 'user_blocked',
    });
    await expect(sendMessage(as(store, 'kim'), { roomId, content: 'Bye' })).rejects.toMatchObject({
      code: 'user_blocked',
    });
    await unblockUser(as(store, 'kim'), { userId: 'lee' });
    await expect(sendMessage(as(store, 'lee'), { roomId, content: 'Friends?' })).resolves.toMatchObject({
      created: true,
    });
  });
});

describe('edit, delete, reactions', () => {
  it('an edit keeps the earlier versions as events; a delete keeps the events for auditors', async () => {
    const roomId = await groupWith('bob');
    const { messageId } = await sendMessage(as(store, 'bob'), { roomId, content: 'v1' });
    await editMessage(as(store, 'bob'), { messageId, content: 'v2' });
    await editMessage(as(store, 'bob'), { messageId, content: 'v3' });
    await expect(editMessage(as(store, 'alice'), { messageId, content: 'v4' })).rejects.toMatchObject({
      code: 'not_message_sender',
    });
    const deleted = await deleteMessage(as(store, 'alice'), { messageId });
    expect(deleted).toMatchObject({ changed: true, roomId, revision: 3n });
    const events = await streamOf(messageId);
    expect(events.map((e) => [e.type, (e.data as { content?: string }).content])).toEqual([
      ['MessageSent', 'v1'],
      ['MessageEdited', 'v2'],
      ['MessageEdited', 'v3'],
      ['MessageDeleted', undefined],
    ]);
    await expect(editMessage(as(store, 'bob'), { messageId, content: 'v5' })).rejects.toMatchObject({
      code: 'message_deleted',
    });
  });

  it('a reaction is recorded once per user and emoji', async () => {
    const roomId = await groupWith('bob');
    const { messageId } = await sendMessage(as(store, 'bob'), { roomId, content: 'Done' });
    const results = await Promise.all([
      addReaction(as(store, 'alice'), { messageId, emoji: '👍' }),
      addReaction(as(store, 'alice'), { messageId, emoji: '👍' }),
    ]);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect((await streamOf(messageId)).map((e) => e.type)).toEqual(['MessageSent', 'ReactionAdded']);
  });
});

describe('reading and moderation', () => {
  it('read markers record how far a participant read, once per message', async () => {
    const roomId = await groupWith('bob');
    const { messageId } = await sendMessage(as(store, 'alice'), { roomId, content: 'Read me' });
    await expect(markRead(as(store, 'bob'), { roomId, upToMessageId: messageId })).resolves.toMatchObject({
      changed: true,
    });
    await expect(markRead(as(store, 'bob'), { roomId, upToMessageId: messageId })).resolves.toMatchObject({
      changed: false,
    });
    await markRoomRead(as(store, 'bob'), { roomId });
    expect((await store.readStream(readMarkerStream(roomId, 'bob'))).map((e) => e.type)).toEqual([
      'MessagesRead',
      'RoomMarkedRead',
    ]);
    await expect(markRoomRead(as(store, 'mallory'), { roomId })).rejects.toMatchObject({
      code: 'not_a_participant',
    });
  });

  it('a report goes to moderators; hiding the message resolves it', async () => {
    const roomId = await groupWith('bob', 'carol');
    const { messageId } = await sendMessage(as(store, 'bob'), { roomId, content: 'Rude words' });
    const report = await reportMessage(as(store, 'carol'), { messageId, reason: 'Offensive' });
    const again = await reportMessage(as(store, 'carol'), { messageId, reason: 'Offensive!' });
    expect(again).toMatchObject({ reportId: report.reportId, created: false });
    await expect(hideMessage(as(store, 'carol'), { messageId, reason: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await hideMessage(as(store, 'mod', { roles: ['moderator'] }), {
      messageId,
      reason: 'Offensive',
      resolveReportIds: [report.reportId],
    });
    expect((await streamOf(messageId)).map((e) => e.type)).toEqual(['MessageSent', 'MessageHidden']);
    const reportEvents = await store.readStream(reportStream(report.reportId));
    expect(reportEvents.map((e) => [e.type, (e.data as { action?: string }).action])).toEqual([
      ['MessageReported', undefined],
      ['ReportResolved', 'hidden'],
    ]);
  });
});
