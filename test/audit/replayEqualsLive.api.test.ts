// Replay equals live: after mixed traffic through the real app (two rooms written at once: sends, edits,
// deletes, hides and restores, reactions, reads, joins, removals, leaves, mutes, roles, renames, archive),
// one room's events read back from the store (the audit reader, by room) and projected with the chat
// projection's own batch apply into a fresh generation give the live read model's rows for that room,
// row for row. Usernames are the one thing a room's history does not settle alone: the read model keeps
// one per user (the users table, and the frames embed it), learnt from whichever room named them last, so
// a member added without a username shows the one another room taught it. The traffic here names members
// when it adds them (as the apps do), and the users table is left out of the comparison.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { readEvents } from '../../src/audit/scanEvents.ts';
import { chatProjection } from '../../src/projections/chat/chatProjection.ts';
import { createGeneration, dropGeneration } from '../../src/projections/generations.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let t: TestApp;
let admin: UserClient;
let moderator: UserClient;
let members: UserClient[];
const usernames = new Map<string, string>();

beforeAll(async () => {
  t = await startTestApp('audit_replay');
  admin = await clientFor(t.app, uuidv4(), { username: 'admin' });
  moderator = await clientFor(t.app, uuidv4(), { username: 'mod', roles: ['moderator'] });
  members = await Promise.all(
    ['bob', 'carol', 'dave', 'erin'].map((name) => clientFor(t.app, uuidv4(), { username: name })),
  );
  for (const [i, member] of members.entries()) {
    usernames.set(member.userId, ['bob', 'carol', 'dave', 'erin'][i]!);
  }
});
afterAll(async () => t?.stop());

/** a small deterministic generator, so a failure replays */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function mixedTraffic(roomId: string, seed: number, steps: number): Promise<void> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const everyone = [admin, ...members];
  const messages: { id: string; by: UserClient }[] = [];
  const participantIds = new Map<string, string>();
  for (let step = 0; step < steps; step++) {
    const user = pick(everyone);
    const message = messages.length > 0 ? pick(messages) : undefined;
    const member = pick(members);
    switch (
      pick([
        'send',
        'send',
        'send',
        'edit',
        'delete',
        'react',
        'unreact',
        'read',
        'join',
        'remove',
        'leave',
        'mute',
        'unmute',
        'admin',
        'rename',
        'archive',
        'hide',
        'restore',
        'silence',
      ] as const)
    ) {
      case 'send': {
        const sent = await user.post(`/api/chat/rooms/${roomId}/messages/`, {
          content: `m${step} from ${seed}`,
        });
        if (sent.status === 201) messages.push({ id: sent.body.id, by: user });
        break;
      }
      case 'edit':
        if (message)
          await message.by.patch(`/api/chat/messages/${message.id}/`, { content: `edited ${step}` });
        break;
      case 'delete':
        if (message && next() < 0.3) await message.by.delete(`/api/chat/messages/${message.id}/`);
        break;
      case 'react':
        if (message)
          await user.post(`/api/chat/messages/${message.id}/reactions/`, { emoji: pick(['👍', '🎉']) });
        break;
      case 'unreact':
        if (message) await user.delete(`/api/chat/messages/${message.id}/reactions/`, { emoji: '👍' });
        break;
      case 'read':
        if (message) await user.post(`/api/chat/rooms/${roomId}/mark-read/`, { message_id: message.id });
        else await user.post(`/api/chat/rooms/${roomId}/mark-read/`, {});
        break;
      case 'join': {
        const added = await admin.post(`/api/chat/rooms/${roomId}/participants/`, {
          user_id: member.userId,
          username: usernames.get(member.userId),
        });
        if (added.status === 201 || added.status === 200) participantIds.set(member.userId, added.body.id);
        break;
      }
      case 'remove': {
        const id = participantIds.get(member.userId);
        if (id && next() < 0.4) await admin.delete(`/api/chat/participants/${id}/`);
        break;
      }
      case 'leave':
        if (next() < 0.3) await member.post(`/api/chat/rooms/${roomId}/leave/`);
        break;
      case 'mute':
      case 'unmute': {
        const id = participantIds.get(member.userId);
        if (id) await admin.patch(`/api/chat/participants/${id}/`, { muted: next() < 0.5 });
        break;
      }
      case 'admin': {
        const id = participantIds.get(member.userId);
        if (id) await admin.patch(`/api/chat/participants/${id}/`, { is_admin: next() < 0.5 });
        break;
      }
      case 'silence': {
        const id = participantIds.get(member.userId);
        if (id) await member.patch(`/api/chat/participants/${id}/`, { notifications_muted: next() < 0.5 });
        break;
      }
      case 'rename':
        await admin.patch(`/api/chat/rooms/${roomId}/`, { name: `room ${seed} step ${step}` });
        break;
      case 'archive':
        await admin.post(`/api/chat/rooms/${roomId}/archive/`);
        await admin.post(`/api/chat/rooms/${roomId}/unarchive/`);
        break;
      case 'hide':
        if (message)
          await moderator.post(`/api/chat/moderation/messages/${message.id}/hide/`, { reason: 'r' });
        break;
      case 'restore':
        if (message) await moderator.post(`/api/chat/moderation/messages/${message.id}/restore/`);
        break;
    }
  }
}

/** the rows of one room in every chat table but users, in primary-key order */
async function roomRows(schema: string, roomId: string): Promise<Record<string, unknown[]>> {
  const where: Record<string, string> = {
    rooms: 'id = $1',
    participants: 'room_id = $1',
    membership_windows: 'room_id = $1',
    messages: 'room_id = $1',
    message_edits: `message_id IN (SELECT id FROM ${schema}.messages WHERE room_id = $1)`,
    room_feed: 'room_id = $1',
  };
  const rows: Record<string, unknown[]> = {};
  for (const table of chatProjection.tables) {
    if (!where[table.name]) continue;
    const { rows: found } = await t.app.pg.query(
      `SELECT to_jsonb(t) AS r FROM ${schema}.${table.name} t WHERE ${where[table.name]}
       ORDER BY ${table.primaryKey.join(', ')}`,
      [roomId],
    );
    rows[table.name] = found.map((row) => row.r);
  }
  return rows;
}

it('projects one room’s events from the store into the same rows as the live read model', async () => {
  const rooms = await Promise.all(
    [1, 2].map(async (n) => {
      const created = await admin.post('/api/chat/rooms/', {
        name: `room ${n}`,
        room_type: 'group',
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    }),
  );
  await Promise.all(rooms.map((roomId, n) => mixedTraffic(roomId, 7 + n, 300)));
  const roomId = rooms[0]!;
  // a write after all the others: once the projection has it, it has everything before it (the store's
  // head is no such mark: it waits for every older transaction of the cluster, other tests' too)
  const last = await admin.patch(`/api/chat/rooms/${roomId}/`, { name: 'the last write' });
  expect(await waitForPosition(t.app.pg, last.body.position, 60_000, 'chat')).toBe(true);

  const client = await t.app.pg.connect();
  const schema = await createGeneration(client, chatProjection);
  try {
    let replayed = 0;
    for await (const page of readEvents(t.app.eventStore, { roomId })) {
      const handled = page.filter((event) => chatProjection.handles(event.type));
      replayed += handled.length;
      if (handled.length > 0)
        await chatProjection.projectBatch(client, schema, handled, { eventStore: t.app.eventStore });
    }
    expect(replayed).toBeGreaterThan(100);
    const live = await roomRows('chat_read', roomId);
    const replay = await roomRows(schema, roomId);
    expect(live.messages!.length).toBeGreaterThan(10);
    expect(live.room_feed!.length).toBeGreaterThan(50);
    expect(replay).toEqual(live);
  } finally {
    await dropGeneration(client, schema);
    client.release();
  }
});
