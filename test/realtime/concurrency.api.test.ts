// A race lost on the socket: while a room admin changes the room at the moment of every attempt of a send,
// the send's append (conditioned on the room's revision) loses each time; the command retries, then gives
// up, and the socket answers as REST does (409) through the one error table (src/errors/errorTable.ts):
// an `error` frame `concurrency_conflict` with the send's client_id, never `internal_error`. Nothing was
// stored, the socket stays open, and the same client_id sent again goes through.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateRoom } from '../../src/commands/updateRoom.ts';
import { migrate } from '../../src/db/migrate.ts';
import { messageIdForClientId, messageStream, roomStream } from '../../src/domain/streams.ts';
import type { EventStore } from '../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { type ChatNode, startChatNode } from './support/chatNode.ts';

let database: TestDatabase;
let pool: pg.Pool;
let store: EventStore;
let node: ChatNode;
const alice = randomUUID();
const bob = randomUUID();
let roomId: string;

/** While on, the rival renames the room just before each append that depends on the room's revision. */
const rival = { racing: false, renames: 0 };

/**
 * The real store, with another writer that always gets there first: a rename by alice through the real
 * command, appended to the room stream right before the append that was decided on its earlier revision.
 */
function storeWithRival(inner: EventStore): EventStore {
  return {
    ...inner,
    async appendToStream(stream, events, options) {
      if (rival.racing && options?.conditions?.some((condition) => condition.stream === roomStream(roomId))) {
        rival.renames += 1;
        await updateRoom(
          { eventStore: inner, actor: { userId: alice, username: 'alice', roles: [] } },
          { roomId, name: `renamed ${rival.renames}` },
        );
      }
      return inner.appendToStream(stream, events, options);
    },
  };
}

beforeAll(async () => {
  database = await createTestDatabase('realtime_concurrency');
  await migrate(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  store = createPostgresEventStore({ pool, pollIntervalMs: 20 });
  node = await startChatNode({
    databaseUrl: database.url,
    redisPrefix: testRedisPrefix('rt_concurrency'),
    eventStore: storeWithRival(store),
  });
  roomId = await node.groupRoom(alice, [bob], 'contested');
});

afterAll(async () => {
  await node?.stop();
  await store?.close();
  await pool?.end();
  await database?.drop();
});

describe('a send that keeps losing the race for its room', () => {
  it('gets the concurrency_conflict error frame, stores nothing, and goes through when sent again', async () => {
    const socket = await node.connect(`/ws/chat/${roomId}/`, bob);
    await socket.next('connection_established');
    const clientId = randomUUID();
    const send = { type: 'chat_message', message: 'hello', client_id: clientId };

    rival.racing = true;
    socket.send(send);
    const refused = await socket.next((frame) => frame.type === 'error' || frame.type === 'message_ack');
    rival.racing = false;
    expect(refused).toMatchObject({ type: 'error', code: 'concurrency_conflict', client_id: clientId });
    expect(rival.renames).toBeGreaterThan(1); // it retried before it gave up
    expect(await store.readStream(messageStream(messageIdForClientId(bob, clientId)))).toEqual([]);

    // the socket is still open, and the client's retry with the same client_id is stored once
    socket.send(send);
    const ack = await socket.next((frame) => frame.type === 'error' || frame.type === 'message_ack');
    expect(ack).toMatchObject({ type: 'message_ack', client_id: clientId, created: true });
    expect(await store.readStream(messageStream(messageIdForClientId(bob, clientId)))).toHaveLength(1);
    await socket.close();
  });
});
