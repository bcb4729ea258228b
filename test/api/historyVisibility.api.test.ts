// History visibility is one rule on every path: over REST (message lists in both cursor directions, one
// message, edit history, reactions, read receipts, the room's last_message and unread_count) and on the
// socket (the replay on resume and the live feed), for members who joined late, left, were removed, came
// back, or are gone for good, in `shared` and in `joined` rooms.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { participantId } from '../../src/domain/streams.ts';
import { type ChatNode, startChatNode } from '../realtime/support/chatNode.ts';
import type { Frame, TestSocket } from '../realtime/support/testSocket.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { clientFor, type UserClient } from './support/client.ts';

let database: TestDatabase;
let node: ChatNode;

beforeAll(async () => {
  database = await createTestDatabase('history_visibility');
  await migrate(database.url);
  node = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: testRedisPrefix('history'),
    // edits never arrive through Redis: sockets get them from the gap fill (room_feed), which must
    // apply the rule as the live path does
    dropPublish: (entry) => entry.frame.type === 'message_edited',
  });
});
afterAll(async () => {
  await node?.stop();
  await database?.drop();
});

type Visibility = 'shared' | 'joined';
type Key = 'm1' | 'm2' | 'm3' | 'm4';
const MEMBERS = ['alice', 'bob', 'carol', 'dave'] as const;
type Member = (typeof MEMBERS)[number];
type Person = Member | 'erin' | 'frank';

/** A room's people as REST clients, its messages by key, and what a read waits for. */
type Scene = {
  roomId: string;
  users: Record<Person, UserClient>;
  ids: Record<Key, string>;
  seqs: Record<Key, number>;
  /** the position of the last write: every read passes it as ?wait_for= */
  position: string;
  /** the room as each member saw it just before m4 was sent */
  roomsBeforeM4: Record<Member, { last_message: { id: string } | null; unread_count: number }>;
  /** the feed frames each member's socket got live, from after bob and carol came back to m4 */
  live: Record<Member, Frame[]>;
};

async function people(): Promise<Record<Person, UserClient>> {
  const entries = await Promise.all(
    (['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const).map(
      async (name) => [name, await clientFor(node.app, randomUUID(), { username: name })] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<Person, UserClient>;
}

/**
 * The story, the same in both kinds of room:
 *   alice creates the room with bob, carol, erin and frank; alice sends m1;
 *   bob is removed, carol leaves; alice sends m2 (the gap);
 *   dave is added; alice sends m3;
 *   bob and carol are added back; (sockets open for alice, bob, carol, dave)
 *   erin is removed, frank leaves (both gone for good);
 *   alice edits m1 and m2, reacts to m2; bob reacts to m1; alice sends m4.
 */
async function play(visibility: Visibility, settings: object | null = { history_visibility: visibility }) {
  const users = await people();
  const { alice } = users;
  const scene = { users } as Scene;
  const track = (answer: { status: number; body: { position?: string } }, status = 200) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    if (answer.body.position) scene.position = answer.body.position;
    return answer.body;
  };
  const created = track(
    await alice.post('/api/chat/rooms/', {
      name: `History ${visibility}`,
      room_type: 'task',
      task: 'T-1',
      participant_ids: [users.bob, users.carol, users.erin, users.frank].map((user) => user.userId),
      ...(settings ? { settings } : {}),
    }),
    201,
  ) as { id: string };
  scene.roomId = created.id;
  const messagesUrl = `/api/chat/rooms/${scene.roomId}/messages/`;
  scene.ids = {} as Record<Key, string>;
  const send = async (key: Key) => {
    scene.ids[key] = (track(await alice.post(messagesUrl, { content: key }), 201) as { id: string }).id;
  };
  const add = async (who: UserClient) =>
    track(await alice.post(`/api/chat/rooms/${scene.roomId}/participants/`, { user_id: who.userId }), 201);
  const remove = async (who: UserClient) =>
    track(await alice.delete(`/api/chat/participants/${participantId(scene.roomId, who.userId)}/`));
  const leave = async (who: UserClient) => track(await who.post(`/api/chat/rooms/${scene.roomId}/leave/`));

  await send('m1');
  await remove(users.bob);
  await leave(users.carol);
  await send('m2');
  await add(users.dave);
  await send('m3');
  await add(users.bob);
  await add(users.carol);

  scene.roomsBeforeM4 = {} as Scene['roomsBeforeM4'];
  for (const member of MEMBERS) {
    scene.roomsBeforeM4[member] = (await read(scene, member, `/api/chat/rooms/${scene.roomId}/`)).body;
  }
  const sockets = {} as Record<Member, TestSocket>;
  for (const member of MEMBERS) {
    sockets[member] = await node.connect(`/ws/chat/${scene.roomId}/`, users[member].userId);
    await sockets[member].next('connection_established');
  }

  await remove(users.erin);
  await leave(users.frank);
  track(await alice.patch(`/api/chat/messages/${scene.ids.m1}/`, { content: 'm1 (edited)' }));
  track(await alice.patch(`/api/chat/messages/${scene.ids.m2}/`, { content: 'm2 (edited)' }));
  track(await alice.post(`/api/chat/messages/${scene.ids.m2}/reactions/`, { emoji: '👍' }));
  track(await users.bob.post(`/api/chat/messages/${scene.ids.m1}/reactions/`, { emoji: '🎉' }));
  await send('m4');

  scene.live = {} as Scene['live'];
  for (const member of MEMBERS) {
    const socket = sockets[member];
    await socket.next((frame) => frame.type === 'chat_message' && messageOf(frame) === scene.ids.m4);
    scene.live[member] = socket.frames.filter((frame) => typeof frame.seq === 'number');
    await socket.close();
  }
  const list = await read(scene, 'alice', messagesUrl);
  scene.seqs = Object.fromEntries(
    (Object.entries(scene.ids) as [Key, string][]).map(([key, id]) => [
      key,
      list.body.results.find((message: { id: string }) => message.id === id).seq,
    ]),
  ) as Record<Key, number>;
  return scene;
}

/** A GET as `who` once the read models hold the scene's last write. */
function read(scene: Scene, who: Person, url: string) {
  return scene.users[who].get(`${url}${url.includes('?') ? '&' : '?'}wait_for=${scene.position}`);
}

const messageOf = (frame: Frame) =>
  ((frame.message as { id?: string } | undefined)?.id ?? frame.message_id) as string | undefined;

function keyOf(scene: Scene, id: string | undefined): Key | undefined {
  return (Object.keys(scene.ids) as Key[]).find((key) => scene.ids[key] === id);
}

/** Every message `who` gets by paging with `limit=1` in one direction, oldest first. */
async function pageAll(scene: Scene, who: Person, direction: 'after' | 'before'): Promise<Key[]> {
  const keys: Key[] = [];
  let cursor = direction === 'after' ? 0 : 1_000_000;
  for (;;) {
    const page = await read(
      scene,
      who,
      `/api/chat/rooms/${scene.roomId}/messages/?limit=1&${direction}=${cursor}`,
    );
    expect(page.status).toBe(200);
    const [message] = page.body.results as { id: string; seq: number }[];
    if (!message) break;
    keys.push(keyOf(scene, message.id)!);
    cursor = message.seq;
    if (!page.body.has_more) break;
  }
  return direction === 'after' ? keys : keys.reverse();
}

/** The replay a socket of `who` gets when it resumes from `lastSeq`: its feed frames and its `resumed`. */
async function replay(scene: Scene, who: Member, lastSeq: number) {
  const socket = await node.connect(
    `/ws/chat/${scene.roomId}/`,
    scene.users[who].userId,
    `&last_seq=${lastSeq}`,
  );
  await socket.next('connection_established');
  const resumed = await socket.next('resumed');
  await socket.close();
  return { frames: socket.frames.filter((frame) => typeof frame.seq === 'number'), resumed };
}

const sentIn = (scene: Scene, frames: Frame[]) =>
  frames.filter((frame) => frame.type === 'chat_message').map((frame) => keyOf(scene, messageOf(frame)));

// What each current member may read: every message in a shared room; in a joined room what was sent
// during their stays (bob and carol: before they went and after they came back; dave: since he came).
const SEES: Record<Visibility, Record<Member, Key[]>> = {
  shared: {
    alice: ['m1', 'm2', 'm3', 'm4'],
    bob: ['m1', 'm2', 'm3', 'm4'],
    carol: ['m1', 'm2', 'm3', 'm4'],
    dave: ['m1', 'm2', 'm3', 'm4'],
  },
  joined: {
    alice: ['m1', 'm2', 'm3', 'm4'],
    bob: ['m1', 'm4'],
    carol: ['m1', 'm4'],
    dave: ['m3', 'm4'],
  },
};
const KEYS: Key[] = ['m1', 'm2', 'm3', 'm4'];
const GONE = ['erin', 'frank'] as const;

describe('one rule for REST and the socket', () => {
  it('a member removed and added back reads the same history over REST as on a resumed socket', async () => {
    // the default setting: no settings given
    const scene = await play('shared', null);
    const rest = await pageAll(scene, 'bob', 'after');
    const { frames } = await replay(scene, 'bob', scene.seqs.m1);
    expect(rest).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(sentIn(scene, frames)).toEqual(['m2', 'm3', 'm4']); // everything after the last_seq he had
  });
});

describe.each(['shared', 'joined'] as const)('history visibility %s', (visibility) => {
  let scene: Scene;
  beforeAll(async () => {
    scene = await play(visibility);
  });

  it('says which rule the room has', async () => {
    const room = await read(scene, 'bob', `/api/chat/rooms/${scene.roomId}/`);
    expect(room.body.settings).toEqual({ history_visibility: visibility });
  });

  it.each(MEMBERS)('REST message lists show %s exactly their messages, paged either way', async (member) => {
    const newest = await read(scene, member, `/api/chat/rooms/${scene.roomId}/messages/`);
    expect(newest.body.results.map((m: { id: string }) => keyOf(scene, m.id))).toEqual(
      SEES[visibility][member],
    );
    expect(await pageAll(scene, member, 'after')).toEqual(SEES[visibility][member]);
    expect(await pageAll(scene, member, 'before')).toEqual(SEES[visibility][member]);
  });

  it.each(MEMBERS)(
    'one message and its edit history exist for %s only where they may read it',
    async (member) => {
      for (const key of KEYS) {
        const visible = SEES[visibility][member].includes(key);
        const message = await read(scene, member, `/api/chat/messages/${scene.ids[key]}/`);
        const history = await read(scene, member, `/api/chat/messages/${scene.ids[key]}/history/`);
        const readers = await read(scene, member, `/api/chat/messages/${scene.ids[key]}/readers/`);
        expect([key, message.status, history.status, readers.status]).toEqual(
          visible ? [key, 200, 200, 200] : [key, 404, 404, 404],
        );
        if (visible && (key === 'm1' || key === 'm2')) {
          expect(history.body.map((edit: { content: string }) => edit.content)).toEqual([key]);
        }
      }
    },
  );

  it('reactions: shown with the message to those who may read it; no reacting to the others', async () => {
    const m2 = await read(scene, 'alice', `/api/chat/messages/${scene.ids.m2}/`);
    expect(m2.body.reactions).toEqual([{ emoji: '👍', count: 1, user_ids: [scene.users.alice.userId] }]);
    const dave = await scene.users.dave.post(`/api/chat/messages/${scene.ids.m1}/reactions/`, {
      emoji: '👀',
    });
    expect(dave.status).toBe(SEES[visibility].dave.includes('m1') ? 200 : 404);
    if (dave.status === 404) {
      const madeUp = await scene.users.dave.post(`/api/chat/messages/${randomUUID()}/reactions/`, {
        emoji: '👀',
      });
      expect(dave.body).toEqual(madeUp.body); // not told apart from a message that does not exist
    } else {
      await scene.users.dave.delete(`/api/chat/messages/${scene.ids.m1}/reactions/`, { emoji: '👀' });
    }
  });

  it('read receipts name the current members who read it, and under joined only who were there', async () => {
    for (const member of ['bob', 'carol', 'dave'] as const) {
      const marked = await scene.users[member].post(`/api/chat/rooms/${scene.roomId}/mark-read/`);
      expect(marked.status).toBe(200);
      scene.position = marked.body.position;
    }
    const readersOf = async (key: Key) => {
      const answer = await read(scene, 'alice', `/api/chat/messages/${scene.ids[key]}/readers/`);
      const ids = answer.body.map((reader: { user: { id: string } }) => reader.user.id);
      return (['bob', 'carol', 'dave', 'erin', 'frank'] as const).filter((who) =>
        ids.includes(scene.users[who].userId),
      );
    };
    // erin and frank had read nothing more, and are gone: never readers
    const expected: Record<Visibility, Record<Key, Person[]>> = {
      shared: {
        m1: ['bob', 'carol', 'dave'],
        m2: ['bob', 'carol', 'dave'],
        m3: ['bob', 'carol', 'dave'],
        m4: ['bob', 'carol', 'dave'],
      },
      joined: { m1: ['bob', 'carol'], m2: [], m3: ['dave'], m4: ['bob', 'carol', 'dave'] },
    };
    for (const key of KEYS) expect([key, await readersOf(key)]).toEqual([key, expected[visibility][key]]);
  });

  it("the room's last_message and unread_count count only what the member may read", async () => {
    const lastBefore = (member: Member) => keyOf(scene, scene.roomsBeforeM4[member].last_message?.id);
    const expectedLast: Record<Visibility, Record<Member, Key>> = {
      shared: { alice: 'm3', bob: 'm3', carol: 'm3', dave: 'm3' },
      joined: { alice: 'm3', bob: 'm1', carol: 'm1', dave: 'm3' },
    };
    for (const member of MEMBERS) {
      expect([member, lastBefore(member)]).toEqual([member, expectedLast[visibility][member]]);
    }
    // a re-join starts with nothing unread; dave had m3 to read
    expect(MEMBERS.map((member) => scene.roomsBeforeM4[member].unread_count)).toEqual([0, 0, 0, 1]);
    const list = await read(scene, 'bob', '/api/chat/rooms/');
    const inList = list.body.results.find((room: { id: string }) => room.id === scene.roomId);
    expect(keyOf(scene, inList.last_message.id)).toBe('m4');
  });

  it.each(MEMBERS)('a socket of %s resumed from 0 replays exactly their messages', async (member) => {
    const { frames, resumed } = await replay(scene, member, 0);
    expect(resumed).toMatchObject({ recovered: true, from_seq: 0 });
    expect(sentIn(scene, frames)).toEqual(SEES[visibility][member]);
    // nor any frame about a message they may not read (edits, reactions, receipts)
    const about = frames.map((frame) => keyOf(scene, messageOf(frame))).filter((key) => key !== undefined);
    expect(about.every((key) => SEES[visibility][member].includes(key))).toBe(true);
  });

  it('a socket resumed from before the latest re-join gets the gap under shared, not under joined', async () => {
    const { frames, resumed } = await replay(scene, 'bob', scene.seqs.m1);
    expect(resumed).toMatchObject({ recovered: true, from_seq: scene.seqs.m1 });
    expect(sentIn(scene, frames)).toEqual(visibility === 'shared' ? ['m2', 'm3', 'm4'] : ['m4']);
  });

  it.each(MEMBERS)(
    'the live feed of %s carries no frame about a message they may not read',
    async (member) => {
      const about = scene.live[member].map((frame) => [frame.type, keyOf(scene, messageOf(frame))]);
      const everything = [
        ['participant_removed', undefined],
        ['participant_left', undefined],
        ['message_edited', 'm1'],
        ['message_edited', 'm2'],
        ['reaction_added', 'm2'],
        ['reaction_added', 'm1'],
        ['chat_message', 'm4'],
      ];
      const sees = SEES[visibility][member];
      expect(about).toEqual(everything.filter(([, key]) => key === undefined || sees.includes(key as Key)));
    },
  );

  it.each(GONE)('%s, gone for good, reads nothing over REST or the socket', async (who) => {
    expect((await read(scene, who, `/api/chat/rooms/${scene.roomId}/messages/`)).status).toBe(404);
    expect((await read(scene, who, `/api/chat/rooms/${scene.roomId}/`)).status).toBe(404);
    for (const key of KEYS) {
      expect((await read(scene, who, `/api/chat/messages/${scene.ids[key]}/`)).status).toBe(404);
    }
    const socket = await node.connect(`/ws/chat/${scene.roomId}/`, scene.users[who].userId, '&last_seq=0');
    expect((await socket.closed).code).toBe(4003);
    expect(socket.frames).toEqual([]);
  });
});

describe('the setting', () => {
  it('applies as it is now, also to what was sent before it changed', async () => {
    const scene = await play('joined');
    const { alice, dave } = scene.users;
    const toShared = await alice.patch(`/api/chat/rooms/${scene.roomId}/`, {
      settings: { history_visibility: 'shared' },
    });
    expect(toShared.status).toBe(200);
    expect(toShared.body.settings).toEqual({ history_visibility: 'shared' });
    scene.position = toShared.body.position;
    expect(await pageAll(scene, 'dave', 'after')).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(sentIn(scene, (await replay(scene, 'dave', 0)).frames)).toEqual(['m1', 'm2', 'm3', 'm4']);

    const toJoined = await alice.patch(`/api/chat/rooms/${scene.roomId}/`, {
      settings: { history_visibility: 'joined' },
    });
    scene.position = toJoined.body.position;
    expect(await pageAll(scene, 'dave', 'after')).toEqual(['m3', 'm4']);
    expect((await read(scene, 'dave', `/api/chat/messages/${scene.ids.m1}/`)).status).toBe(404);
    // the change is a frame like any other settings change
    const frames = (await replay(scene, 'alice', scene.seqs.m4)).frames;
    expect(
      frames
        .filter((frame) => frame.type === 'room_updated')
        .map((frame) => (frame.room as { settings: unknown }).settings),
    ).toEqual([{ history_visibility: 'shared' }, { history_visibility: 'joined' }]);
    expect(
      (await dave.patch(`/api/chat/rooms/${scene.roomId}/`, { settings: { history_visibility: 'shared' } }))
        .status,
    ).toBe(403);
  });

  it('is refused for direct rooms and checked for its value', async () => {
    const [alice, bob] = [await clientFor(node.app, randomUUID()), await clientFor(node.app, randomUUID())];
    const direct = await alice.post('/api/chat/rooms/', {
      room_type: 'direct',
      participant_ids: [bob.userId],
      settings: { history_visibility: 'joined' },
    });
    expect(direct.status).toBe(409);
    expect(direct.body.code).toBe('not_allowed_in_direct_room');
    const plain = await alice.post('/api/chat/rooms/', {
      room_type: 'direct',
      participant_ids: [bob.userId],
    });
    expect(plain.status).toBe(201);
    expect(plain.body.settings).toEqual({}); // no history visibility in a direct room
    const bad = await alice.post('/api/chat/rooms/', {
      room_type: 'group',
      settings: { history_visibility: 'public' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body.settings.history_visibility');
  });
});
