// The projector as `npm start` runs it: in a worker thread with connections of its own, woken by the main
// thread's appends through the Redis append signal, publishing to the rooms' Redis channels; stop() ends
// the thread and hands leadership on.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { ChatEvent } from '../../src/domain/events.ts';
import { createRedisAppendSignal } from '../../src/eventstore/postgres/appendSignal.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { getRoomForUser } from '../../src/projections/chat/queries/rooms.ts';
import { prepareReadModels } from '../../src/projections/checkpoints.ts';
import { startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { startProjectorThread } from '../../src/projectorThread.ts';
import { decodeWire, roomChannel } from '../../src/realtime/feedWire.ts';
import { createTestDatabase, testRedisPrefix } from '../support/database.ts';
import { appendEvents, waitForProjection } from './support/readModels.ts';

const database = await createTestDatabase('projector_thread');
await migrate(database.url);
const prefix = testRedisPrefix('projector_thread');
const redis = new Redis();
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
// the main thread's store, wired as the app wires it: its appends signal the thread through Redis
const eventStore = createPostgresEventStore({
  pool,
  appendSignal: createRedisAppendSignal({ redis, prefix }),
});
afterAll(async () => {
  await eventStore.close();
  await pool.end();
  await redis.quit();
  await database.drop();
});

const silent = { info() {}, error() {} };

describe('projector thread', () => {
  it('projects and publishes what the main thread appends; stop() hands leadership on', async () => {
    await prepareReadModels(pool, PROJECTIONS);
    const config = loadConfig({ DATABASE_URL: database.url, REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' });
    const thread = startProjectorThread(config, silent);
    const roomId = randomUUID();
    const subscriber = redis.duplicate();
    const published: string[] = [];
    subscriber.on('message', (_channel: string, text: string) => published.push(decodeWire(text)!.type));
    await subscriber.subscribe(roomChannel(prefix, roomId));
    try {
      const events: ChatEvent[] = [
        {
          type: 'RoomCreated',
          data: {
            roomId,
            name: 'Boiler room',
            roomType: 'group',
            createdBy: 'alice',
            participants: [{ userId: 'alice', username: 'ALICE', isAdmin: true }],
            settings: {},
          },
        },
        {
          type: 'MessageSent',
          data: { messageId: randomUUID(), roomId, senderId: 'alice', messageType: 'text', content: 'hot' },
        },
      ];
      await waitForProjection(pool, await appendEvents(eventStore, events));
      expect(await getRoomForUser(pool, roomId, 'alice')).toMatchObject({
        name: 'Boiler room',
        last_message: { content: 'hot' },
      });
      while (published.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(published).toEqual(['room_created', 'chat_message']);
    } finally {
      await thread.stop();
      await subscriber.quit();
    }

    // the thread's leader lock went with it: a runner here takes over and projects what comes next
    const runner = await startProjections({
      pool,
      eventStore,
      projections: PROJECTIONS,
      publisher: { publish: async () => {} },
    });
    try {
      const later: ChatEvent = {
        type: 'MessageSent',
        data: { messageId: randomUUID(), roomId, senderId: 'alice', messageType: 'text', content: 'cold' },
      };
      await waitForProjection(pool, await appendEvents(eventStore, [later]));
      expect(await getRoomForUser(pool, roomId, 'alice')).toMatchObject({
        last_message: { content: 'cold' },
      });
    } finally {
      await runner.stop();
    }
  });
});
