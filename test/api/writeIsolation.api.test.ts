// No user can break another's writes with what he writes: while one user sends text that PostgreSQL cannot
// hold (NUL, lone surrogates) through every text field he can reach, another user in another room keeps
// sending, and every one of those sends succeeds and is stored once. Appends of both share group commits.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
let mallory: UserClient;
let bob: UserClient;
let malloryRoom: string;
let malloryMessage: string;
let bobRoom: string;

beforeAll(async () => {
  t = await startTestApp('write_isolation');
  mallory = await clientFor(t.app, uuidv4(), { username: 'mallory' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  malloryRoom = (await mallory.post('/api/chat/rooms/', { name: 'mine', room_type: 'group' })).body.id;
  malloryMessage = (await mallory.post(`/api/chat/rooms/${malloryRoom}/messages/`, { content: 'x' })).body.id;
  bobRoom = (await bob.post('/api/chat/rooms/', { name: 'work', room_type: 'group' })).body.id;
});
afterAll(async () => t?.stop());

const POISON = ['a\u0000b', 'broken \ud83d', '\udc00 low'];

/** Every text field Mallory can write, with poison in it. */
const poisonedWrites = (n: number) => {
  const bad = POISON[n % POISON.length]!;
  return [
    () => mallory.post(`/api/chat/rooms/${malloryRoom}/messages/`, { content: bad, client_id: `m-${n}` }),
    () => mallory.post(`/api/chat/rooms/${malloryRoom}/messages/`, { content: 'hi', client_id: bad }),
    () => mallory.patch(`/api/chat/messages/${malloryMessage}/`, { content: bad }),
    () => mallory.post(`/api/chat/messages/${malloryMessage}/reactions/`, { emoji: bad }),
    () => mallory.post(`/api/chat/messages/${malloryMessage}/report/`, { reason: bad }),
    () => mallory.patch(`/api/chat/rooms/${malloryRoom}/`, { name: bad }),
    () => mallory.post('/api/chat/rooms/', { name: bad, room_type: 'group' }),
  ];
};

describe('one user writing text the store cannot hold', () => {
  it('never fails another user’s sends in another room', async () => {
    const rounds = 40;
    const bobWriters = 4;
    const malloryAnswers: number[] = [];
    const bobAnswers: { clientId: string; status: number; code?: string }[] = [];

    const malloryLoop = async (lane: number) => {
      for (let n = lane; n < rounds; n += 2) {
        for (const write of poisonedWrites(n)) malloryAnswers.push((await write()).status);
      }
    };
    const bobLoop = async (lane: number) => {
      for (let n = 0; n < rounds; n++) {
        const clientId = `b-${lane}-${n}`;
        const answer = await bob.post(`/api/chat/rooms/${bobRoom}/messages/`, {
          content: `report ${lane}.${n}`,
          client_id: clientId,
        });
        bobAnswers.push({ clientId, status: answer.status, code: answer.body?.code });
      }
    };
    await Promise.all([
      malloryLoop(0),
      malloryLoop(1),
      ...Array.from({ length: bobWriters }, (_, lane) => bobLoop(lane)),
    ]);

    expect(bobAnswers.filter((answer) => answer.status !== 201)).toEqual([]);
    expect(bobAnswers).toHaveLength(rounds * bobWriters);
    // Mallory gets a clear refusal, never a 500
    expect(new Set(malloryAnswers)).toEqual(new Set([400]));

    // every one of Bob's messages is there, once
    const history = await bob.get(
      `/api/chat/rooms/${bobRoom}/messages/?limit=200&wait_for=${encodeURIComponent(
        (await bob.post(`/api/chat/rooms/${bobRoom}/messages/`, { content: 'last' })).body.position,
      )}`,
    );
    const contents = history.body.results.map((message: { content: string }) => message.content);
    const expected = bobAnswers.map((answer) => `report ${answer.clientId.slice(2).replace('-', '.')}`);
    expect(contents.slice(0, -1).sort()).toEqual(expected.sort());
  });
});
