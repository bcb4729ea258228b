// The search permission matrix: who finds what, over both search routes, for members who stayed, left,
// were removed, came back (and left again) or joined late, in `shared`, `joined` and direct rooms, with edits, deletes,
// hides and blocks, for moderators, auditors and outsiders. Every case compares the exact set found with
// the set the rule allows (docs/api.md, "Search"): nothing more (no leak), nothing less.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { participantId } from '../../src/domain/streams.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const PEOPLE = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'gina',
  'frank',
  'hank',
  'mod',
  'outsideMod',
  'auditor',
] as const;
type Person = (typeof PEOPLE)[number];
type RoomKey = 'S' | 'J' | 'D';

let t: TestApp;
let position = '0';
const users = {} as Record<Person, UserClient>;
const rooms = {} as Record<RoomKey, string>;
/** message key (s1, j4, d1, ...) -> id */
const ids: Record<string, string> = {};

const track = (answer: { status: number; body: { position?: string } }, status: number) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  if (answer.body.position) position = answer.body.position;
  return answer.body as { id: string };
};

async function send(who: Person, room: RoomKey, key: string, content = `zebra tok${key}`) {
  const url = `/api/chat/rooms/${rooms[room]}/messages/`;
  ids[key] = track(await users[who].post(url, { content }), 201).id;
}

/**
 * The same story in the shared room S and the joined room J (x = s or j):
 *   alice creates it with bob, carol, dave, hank and mod; alice sends x1;
 *   bob leaves, carol is removed, dave is removed, hank leaves; alice sends x2 (nobody of them reads it);
 *   erin, dave (again), gina and hank (again) are added; alice sends x3; hank leaves again;
 *   alice sends x4 "zebra oldx4" and edits it to "zebra newx4";
 *   alice sends x5 and deletes it; alice sends x6 and mod hides it; gina sends x7.
 * Then alice blocks gina, and in the direct room D of alice and bob alice sends d1 before bob blocks her.
 */
async function play(room: 'S' | 'J') {
  const x = room.toLowerCase();
  const { alice } = users;
  rooms[room] = track(
    await alice.post('/api/chat/rooms/', {
      name: `Room ${room}`,
      room_type: 'group',
      participant_ids: [users.bob, users.carol, users.dave, users.hank, users.mod].map((user) => user.userId),
      settings: { history_visibility: room === 'S' ? 'shared' : 'joined' },
    }),
    201,
  ).id;
  const add = async (who: Person) =>
    track(
      await alice.post(`/api/chat/rooms/${rooms[room]}/participants/`, { user_id: users[who].userId }),
      201,
    );
  const remove = async (who: Person) =>
    track(
      await alice.delete(`/api/chat/participants/${participantId(rooms[room], users[who].userId)}/`),
      200,
    );

  const leave = async (who: Person) =>
    track(await users[who].post(`/api/chat/rooms/${rooms[room]}/leave/`), 200);

  await send('alice', room, `${x}1`);
  await leave('bob');
  await remove('carol');
  await remove('dave');
  await leave('hank');
  await send('alice', room, `${x}2`);
  await add('erin');
  await add('dave');
  await add('gina');
  await add('hank');
  await send('alice', room, `${x}3`);
  await leave('hank');
  await send('alice', room, `${x}4`, `zebra old${x}4`);
  track(await alice.patch(`/api/chat/messages/${ids[`${x}4`]}/`, { content: `zebra new${x}4` }), 200);
  await send('alice', room, `${x}5`);
  track(await alice.delete(`/api/chat/messages/${ids[`${x}5`]}/`), 200);
  await send('alice', room, `${x}6`);
  track(await users.mod.post(`/api/chat/moderation/messages/${ids[`${x}6`]}/hide/`, { reason: 'spam' }), 200);
  await send('gina', room, `${x}7`);
}

beforeAll(async () => {
  t = await startTestApp('search_permissions');
  for (const person of PEOPLE) {
    const roles =
      person === 'mod' || person === 'outsideMod' ? ['moderator'] : person === 'auditor' ? ['auditor'] : [];
    users[person] = await clientFor(t.app, randomUUID(), { username: person, roles });
  }
  await play('S');
  await play('J');
  track(await users.alice.post(`/api/chat/users/${users.gina.userId}/block/`), 200);
  rooms.D = (
    await users.alice.post('/api/chat/rooms/', { room_type: 'direct', participant_ids: [users.bob.userId] })
  ).body.id;
  await send('alice', 'D', 'd1');
  track(await users.bob.post(`/api/chat/users/${users.alice.userId}/block/`), 200);
}, 120_000);
afterAll(async () => t?.stop());

/**
 * What each person may find, by room: every message still there (x5 deleted, x6 hidden, x4 only as
 * edited) within what they may read. S is shared: members read it all, bob (left) and carol (removed)
 * up to their leave, hank up to his second. J is joined: members their windows (dave both of his, erin and
 * gina since they came), and so does hank after his second leave (j1, and j3 of his second window).
 * Null: never in the room (404 on the room route).
 */
const FINDS: Record<Person, Record<RoomKey, string[] | null>> = {
  alice: { S: ['s1', 's2', 's3', 's4', 's7'], J: ['j1', 'j2', 'j3', 'j4', 'j7'], D: ['d1'] },
  bob: { S: ['s1'], J: ['j1'], D: ['d1'] },
  carol: { S: ['s1'], J: ['j1'], D: null },
  dave: { S: ['s1', 's2', 's3', 's4', 's7'], J: ['j1', 'j3', 'j4', 'j7'], D: null },
  erin: { S: ['s1', 's2', 's3', 's4', 's7'], J: ['j3', 'j4', 'j7'], D: null },
  gina: { S: ['s1', 's2', 's3', 's4', 's7'], J: ['j3', 'j4', 'j7'], D: null },
  frank: { S: null, J: null, D: null },
  hank: { S: ['s1', 's2', 's3'], J: ['j1', 'j3'], D: null },
  mod: { S: ['s1', 's2', 's3', 's4', 's7'], J: ['j1', 'j2', 'j3', 'j4', 'j7'], D: null },
  outsideMod: { S: null, J: null, D: null },
  auditor: { S: null, J: null, D: null },
};

const everywhere = (person: Person) => Object.values(FINDS[person]).flatMap((keys) => keys ?? []);
const keyOf = (id: string) => Object.keys(ids).find((key) => ids[key] === id) ?? `unknown:${id}`;

async function found(person: Person, q: string, room?: RoomKey): Promise<string[] | null> {
  const base = room ? `/api/chat/rooms/${rooms[room]}/messages/` : '/api/chat/search/';
  const answer = await users[person].get(`${base}?q=${encodeURIComponent(q)}&limit=50&wait_for=${position}`);
  if (answer.status === 404) return null;
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.next_cursor).toBeNull();
  return answer.body.results.map((hit: { message: { id: string } }) => keyOf(hit.message.id)).sort();
}

type Case = { person: Person; what: string; q: string; room?: RoomKey; expected: string[] | null };

const CASES: Case[] = PEOPLE.flatMap((person): Case[] => [
  { person, what: 'a word, every room', q: 'zebra', expected: everywhere(person).sort() },
  { person, what: 'a prefix, every room', q: 'zeb', expected: everywhere(person).sort() },
  {
    person,
    what: 'operators only (from:alice)',
    q: 'from:alice',
    expected: everywhere(person)
      .filter((key) => !key.endsWith('7')) // x7 is gina's
      .sort(),
  },
  ...(['S', 'J', 'D'] as const).map((room) => ({
    person,
    what: `a word in room ${room}`,
    q: 'zebra',
    room,
    expected: FINDS[person][room] === null ? null : [...FINDS[person][room]!].sort(),
  })),
  { person, what: 'text edited away', q: 'olds4 OR oldj4', expected: [] },
  { person, what: 'a deleted message', q: 'toks5 OR tokj5', expected: [] },
  { person, what: 'a hidden message', q: 'toks6 OR tokj6', expected: [] },
  {
    person,
    what: 'what was sent while away (x2)',
    q: 'toks2 OR tokj2',
    expected: everywhere(person)
      .filter((key) => key.endsWith('2'))
      .sort(),
  },
]);

describe('search permission matrix', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$person: $what ($q)', async ({ person, q, room, expected }) => {
    expect(await found(person, q, room)).toEqual(expected);
  });

  it('finds, for a current member, exactly the messages history shows with text', async () => {
    for (const person of ['alice', 'dave', 'erin', 'gina', 'mod'] as const) {
      for (const room of ['S', 'J'] as const) {
        const history = await users[person].get(`/api/chat/rooms/${rooms[room]}/messages/?limit=200`);
        const shown = (history.body.results as { id: string; content: string }[])
          .filter((message) => message.content !== '')
          .map((message) => keyOf(message.id))
          .sort();
        expect(await found(person, 'zebra', room)).toEqual(shown);
      }
    }
  });
});
