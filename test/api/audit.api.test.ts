// Auditors over REST: the history from the event store (original texts of edited, deleted and hidden
// messages), the room as of several points around a membership change, an edit and a delete, who could
// read a message then, one user's activity, and every read recorded. Every other role gets 404.
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let alice: UserClient;
let bob: UserClient;
let carol: UserClient;
let moderator: UserClient;
let ops: UserClient;
let auditor: UserClient;

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert each
type Json = any;
type AuditEvent = { type: string; position: string; recorded_at: string; actor_id: string; data: Json };

/** the story every test reads: ids and the events' positions */
const story = {} as {
  roomId: string;
  directId: string;
  edited: string;
  deleted: string;
  hidden: string;
  events: AuditEvent[];
};

const positionOf = (type: string, match: (data: Json) => boolean = () => true) =>
  story.events.find((e) => e.type === type && match(e.data))!.position;

async function allRoomEvents(roomId: string, query = ''): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let after = '';
  for (;;) {
    const page = await auditor.get(`/api/audit/rooms/${roomId}/events/?limit=3${after}${query}`);
    expect(page.status).toBe(200);
    events.push(...page.body.results);
    if (page.body.next === null) return events;
    after = `&after=${page.body.next}`;
  }
}

beforeAll(async () => {
  t = await startTestApp('audit_api');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  carol = await clientFor(t.app, uuidv4(), { username: 'carol' });
  moderator = await clientFor(t.app, uuidv4(), { username: 'mod', roles: ['moderator'] });
  ops = await clientFor(t.app, uuidv4(), { username: 'ops', roles: ['ops'] });
  auditor = await clientFor(t.app, uuidv4(), { username: 'auditor', roles: ['auditor'] });

  const room = await alice.post('/api/chat/rooms/', {
    name: 'Flat 4B',
    room_type: 'group',
    participant_ids: [bob.userId],
  });
  story.roomId = room.body.id;
  const url = `/api/chat/rooms/${story.roomId}/messages/`;
  const first = await alice.post(url, { content: 'the rent is 900' });
  story.edited = first.body.id;
  expect(
    (await alice.patch(`/api/chat/messages/${story.edited}/`, { content: 'the rent is 950' })).status,
  ).toBe(200);
  const added = await alice.post(`/api/chat/rooms/${story.roomId}/participants/`, {
    user_id: carol.userId,
    username: 'carol',
  });
  expect(added.status).toBe(201);
  const second = await bob.post(url, { content: 'my phone is 555-0100' });
  story.deleted = second.body.id;
  expect((await bob.delete(`/api/chat/messages/${story.deleted}/`)).status).toBe(200);
  const third = await carol.post(url, { content: 'rude words' });
  story.hidden = third.body.id;
  const report = await bob.post(`/api/chat/messages/${story.hidden}/report/`, { reason: 'abusive' });
  const hide = await moderator.post(`/api/chat/moderation/messages/${story.hidden}/hide/`, {
    reason: 'abuse',
    report_ids: [report.body.id],
  });
  expect(hide.status).toBe(200);
  await bob.post(`/api/chat/messages/${story.edited}/reactions/`, { emoji: '👍' });
  await bob.post(`/api/chat/rooms/${story.roomId}/mark-read/`, { message_id: story.edited });
  const removed = await alice.delete(`/api/chat/participants/${added.body.id}/`);
  expect(removed.status).toBe(200);

  const direct = await alice.post('/api/chat/rooms/', { room_type: 'direct', participant_ids: [bob.userId] });
  story.directId = direct.body.id;
  await bob.post(`/api/chat/rooms/${story.directId}/messages/`, { content: 'just between us' });

  // the store shows an append once every older transaction of the cluster has ended: wait for the last
  // write (the direct message), and so for everything before it
  for (let attempt = 0; attempt < 600; attempt++) {
    const direct = await t.app.eventStore.readAll({ filter: { roomId: story.directId } });
    if (direct.some((e) => e.type === 'MessageSent')) break;
    await sleep(100);
  }
  story.events = await allRoomEvents(story.roomId);
});
afterAll(async () => t?.stop());

describe('who may read the audit history', () => {
  it('answers 404 on every audit path to participants, moderators and ops, malformed or not', async () => {
    const paths = [
      `/api/audit/rooms/${story.roomId}/events/`,
      `/api/audit/rooms/${story.roomId}/events/?limit=0`,
      `/api/audit/rooms/${story.roomId}/`,
      `/api/audit/rooms/${story.roomId}/?as_of=yesterday`,
      `/api/audit/messages/${story.edited}/`,
      `/api/audit/messages/${story.edited}/visibility/`,
      `/api/audit/users/${alice.userId}/activity/`,
      '/api/audit/rooms/not-a-uuid/events/',
    ];
    for (const user of [alice, bob, moderator, ops]) {
      for (const path of paths) {
        const answer = await user.get(path);
        expect({ path, status: answer.status, code: answer.body.code }).toEqual({
          path,
          status: 404,
          code: 'not_found',
        });
      }
    }
  });

  it('shows auditors direct rooms too', async () => {
    const events = await allRoomEvents(story.directId);
    expect(events.find((e) => e.type === 'MessageSent')?.data.content).toBe('just between us');
  });

  it('answers 404 for a room or message that does not exist', async () => {
    expect((await auditor.get(`/api/audit/rooms/${uuidv4()}/events/`)).status).toBe(404);
    expect((await auditor.get(`/api/audit/messages/${uuidv4()}/`)).status).toBe(404);
  });
});

describe('the room history', () => {
  it('holds every event in order with actor, time, id and position, original texts included', async () => {
    const types = story.events.map((e) => e.type).filter((type) => type !== 'AuditorRead');
    expect(types).toEqual([
      'RoomCreated',
      'MessageSent',
      'MessageEdited',
      'ParticipantAdded',
      'MessageSent',
      'MessageDeleted',
      'MessageSent',
      'MessageReported',
      'MessageHidden',
      'ReportResolved',
      'ReactionAdded',
      'MessagesRead',
      'ParticipantRemoved',
    ]);
    const positions = story.events.map((e) => e.position);
    expect([...positions].sort()).toEqual(positions);
    const texts = story.events.filter((e) => e.type === 'MessageSent' || e.type === 'MessageEdited');
    expect(texts.map((e) => e.data.content)).toEqual([
      'the rent is 900',
      'the rent is 950',
      'my phone is 555-0100',
      'rude words',
    ]);
    const deleted = story.events.find((e) => e.type === 'MessageDeleted')!;
    expect(deleted).toMatchObject({ actor_id: bob.userId, data: { messageId: story.deleted } });
    expect(Date.parse(deleted.recorded_at)).not.toBeNaN();
    expect(story.events.find((e) => e.type === 'MessageHidden')).toMatchObject({
      actor_id: moderator.userId,
      data: { reason: 'abuse' },
    });
  });

  it('filters by event type, actor and time range', async () => {
    const edits = await allRoomEvents(story.roomId, '&types=MessageEdited,MessageDeleted');
    expect(edits.map((e) => e.type)).toEqual(['MessageEdited', 'MessageDeleted']);
    const byBob = await allRoomEvents(story.roomId, `&actor=${bob.userId}`);
    expect(new Set(byBob.map((e) => e.actor_id))).toEqual(new Set([bob.userId]));
    expect(byBob.map((e) => e.type)).toContain('MessageReported');
    const edit = story.events.find((e) => e.type === 'MessageEdited')!;
    const upToEdit = await allRoomEvents(story.roomId, `&to=${edit.recorded_at}`);
    expect(upToEdit.map((e) => e.type)).toEqual(['RoomCreated', 'MessageSent', 'MessageEdited']);
    const from = await allRoomEvents(story.roomId, `&from=${edit.recorded_at}&types=MessageSent`);
    expect(from).toHaveLength(2);
  });

  it('gives every version of a message with who and when', async () => {
    const answer = await auditor.get(`/api/audit/messages/${story.edited}/`);
    expect(answer.status).toBe(200);
    expect(answer.body.versions.map((v: { content: string; by: string }) => [v.content, v.by])).toEqual([
      ['the rent is 900', alice.userId],
      ['the rent is 950', alice.userId],
    ]);
    expect(answer.body.events.map((e: AuditEvent) => e.type)).toEqual([
      'MessageSent',
      'MessageEdited',
      'ReactionAdded',
    ]);
    const deleted = await auditor.get(`/api/audit/messages/${story.deleted}/`);
    expect(deleted.body).toMatchObject({ is_deleted: true, versions: [{ content: 'my phone is 555-0100' }] });
    const hidden = await auditor.get(`/api/audit/messages/${story.hidden}/`);
    expect(hidden.body).toMatchObject({
      is_hidden: true,
      versions: [{ content: 'rude words', by: carol.userId }],
    });
  });
});

describe('as of', () => {
  async function roomAt(position: string) {
    const answer = await auditor.get(`/api/audit/rooms/${story.roomId}/?at_position=${position}`);
    expect(answer.status).toBe(200);
    return answer.body;
  }
  const activeMembers = (state: Json) =>
    state.members
      .filter((m: { active: boolean }) => m.active)
      .map((m: { user_id: string }) => m.user_id)
      .sort();
  const contentOf = (state: Json, id: string) =>
    state.messages.find((m: { id: string }) => m.id === id)?.content;

  it('gives the text a message had around its edit', async () => {
    const sent = positionOf('MessageSent', (d) => d.messageId === story.edited);
    const edit = positionOf('MessageEdited');
    expect(contentOf(await roomAt(sent), story.edited)).toBe('the rent is 900');
    expect(contentOf(await roomAt(edit), story.edited)).toBe('the rent is 950');
    const editEvent = story.events.find((e) => e.type === 'MessageEdited')!;
    const justBefore = new Date(Date.parse(editEvent.recorded_at) - 1).toISOString();
    const byTime = await auditor.get(`/api/audit/rooms/${story.roomId}/?as_of=${justBefore}`);
    expect(contentOf(byTime.body, story.edited)).toBe('the rent is 900');
    const byTimeAfter = await auditor.get(`/api/audit/rooms/${story.roomId}/?as_of=${editEvent.recorded_at}`);
    expect(contentOf(byTimeAfter.body, story.edited)).toBe('the rent is 950');
  });

  it('gives the members around a join and a removal, and who could read a message then', async () => {
    const edit = positionOf('MessageEdited');
    const joined = positionOf('ParticipantAdded');
    const removed = positionOf('ParticipantRemoved');
    const both = [alice.userId, bob.userId].sort();
    expect(activeMembers(await roomAt(edit))).toEqual(both);
    expect(activeMembers(await roomAt(joined))).toEqual([...both, carol.userId].sort());
    const after = await roomAt(removed);
    expect(activeMembers(after)).toEqual(both);
    expect(after.members.find((m: { user_id: string }) => m.user_id === carol.userId)).toMatchObject({
      active: false,
      windows: [{ from: joined, to: removed }],
    });

    const visibility = async (position: string) =>
      (await auditor.get(`/api/audit/messages/${story.edited}/visibility/?at_position=${position}`)).body;
    expect(await visibility(edit)).toMatchObject({ sent: true, readers: both, content: 'the rent is 950' });
    expect((await visibility(joined)).readers).toEqual([...both, carol.userId].sort());
    expect((await visibility(removed)).readers).toEqual(both);
    const before = positionOf('RoomCreated');
    expect(await visibility(before)).toMatchObject({ sent: false, readers: [], content: null });
  });

  it('keeps a deleted message’s text for the auditor, and says nobody saw it after the delete', async () => {
    const sent = positionOf('MessageSent', (d) => d.messageId === story.deleted);
    const deleted = positionOf('MessageDeleted');
    const beforeDelete = (await roomAt(sent)).messages.find((m: { id: string }) => m.id === story.deleted);
    expect(beforeDelete).toMatchObject({ content: 'my phone is 555-0100', is_deleted: false });
    const afterDelete = (await roomAt(deleted)).messages.find((m: { id: string }) => m.id === story.deleted);
    expect(afterDelete).toMatchObject({ content: 'my phone is 555-0100', is_deleted: true });
    const seen = await auditor.get(`/api/audit/messages/${story.deleted}/visibility/?at_position=${sent}`);
    expect(seen.body.content_visible).toBe(true);
    const gone = await auditor.get(`/api/audit/messages/${story.deleted}/visibility/?at_position=${deleted}`);
    expect(gone.body).toMatchObject({ content_visible: false, content: 'my phone is 555-0100' });
  });
});

describe('one user’s activity and the watchers watched', () => {
  it('lists what one user did across rooms', async () => {
    const events: AuditEvent[] = [];
    let after = '';
    for (;;) {
      const page = await auditor.get(`/api/audit/users/${bob.userId}/activity/?limit=2${after}`);
      expect(page.status).toBe(200);
      events.push(...page.body.results);
      if (page.body.next === null) break;
      after = `&after=${page.body.next}`;
    }
    expect(events.map((e) => e.type)).toEqual([
      'MessageSent',
      'MessageDeleted',
      'MessageReported',
      'ReactionAdded',
      'MessagesRead',
      'MessageSent',
    ]);
    expect(new Set(events.map((e) => e.actor_id))).toEqual(new Set([bob.userId]));
  });

  it('records every auditor read in the history it read', async () => {
    await auditor.get(`/api/audit/messages/${story.hidden}/`);
    // the store shows an append once every older transaction of the cluster has ended: poll for it
    const messageRead = (e: AuditEvent) => e.data.resource === 'message' && e.data.messageId === story.hidden;
    let reads: AuditEvent[] = [];
    for (let attempt = 0; attempt < 100 && !reads.some(messageRead); attempt++) {
      reads = await allRoomEvents(story.roomId, '&types=AuditorRead');
    }
    const resources = reads.map((e) => e.data.resource);
    expect(resources).toContain('room_events');
    expect(resources).toContain('room_state');
    expect(resources).toContain('message_visibility');
    expect(reads.find((e) => e.data.resource === 'room_events')).toMatchObject({
      actor_id: auditor.userId,
      data: { auditorId: auditor.userId, roomId: story.roomId, query: { limit: '3' } },
    });
    expect(reads.find(messageRead)).toMatchObject({
      actor_id: auditor.userId,
      data: { messageId: story.hidden, roomId: story.roomId },
    });
    // the activity read is recorded before it reads, but its record shows only once the cluster's older
    // transactions have ended (another test file's may be open): a later read shows it
    let activity: AuditEvent[] = [];
    for (
      let attempt = 0;
      attempt < 100 && !activity.some((e) => e.data.resource === 'user_activity');
      attempt++
    ) {
      activity = (await auditor.get(`/api/audit/users/${auditor.userId}/activity/?limit=1000`)).body.results;
    }
    expect(activity.every((e: AuditEvent) => e.type === 'AuditorRead')).toBe(true);
    expect(activity.map((e: AuditEvent) => e.data.resource)).toContain('user_activity');
  });
});
