// The append signal between two PostgreSQL event store instances (two nodes, or a node and its projector
// thread) over the real Redis: an append on one wakes a subscription on the other at once, not at its
// next poll.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import type { RecordedEvent } from '../../src/eventstore/eventStore.ts';
import { createRedisAppendSignal } from '../../src/eventstore/postgres/appendSignal.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase, testRedisPrefix } from '../support/database.ts';

const database = await createTestDatabase('append_signal');
await migrate(database.url);
const redis = new Redis();
const prefix = testRedisPrefix('append_signal');
afterAll(async () => {
  await redis.quit();
  await database.drop();
});

/** A node's store: its own pool, a poll so slow that only the signal can wake it within the test. */
function node() {
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  const store = createPostgresEventStore({
    pool,
    pollIntervalMs: 600_000,
    appendSignal: createRedisAppendSignal({ redis, prefix }),
  });
  return {
    store,
    async stop() {
      await store.close();
      await pool.end();
    },
  };
}

/** Until `count` connections listen on `channel`. */
async function listening(channel: string, count: number) {
  for (;;) {
    const [, subscribers] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    if (subscribers >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const event = (type: string) => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
});

describe('append signal over Redis', () => {
  it("reaches another instance's listener, not the sender's own", async () => {
    const [one, two] = [
      createRedisAppendSignal({ redis, prefix }),
      createRedisAppendSignal({ redis, prefix }),
    ];
    const heard = { one: 0, two: 0 };
    const stops = [one.onAppended(() => heard.one++), two.onAppended(() => heard.two++)];
    try {
      await listening(`${prefix}es:appended`, 2);
      one.appended();
      while (heard.two === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // one publish per event-loop turn, however many groups committed in it
      two.appended();
      two.appended();
      while (heard.one === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toEqual({ one: 1, two: 1 });
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
  });

  it("wakes another instance's caught-up subscription when this one appends", async () => {
    const [reader, writer] = [node(), node()];
    try {
      const subscription = reader.store.subscribeToAll();
      const received: RecordedEvent[] = [];
      const consumed = (async () => {
        for await (const batch of subscription) received.push(...batch);
      })();
      await writer.store.appendToStream(`signal-${randomUUID()}`, [event('First')], {
        expectedRevision: 'no_stream',
      });
      // once the reader listens, its subscription waits with no poll for ten minutes: only the signal
      // wakes it. A woken read may still miss the event while an older transaction anywhere in the
      // cluster holds the horizon back (docs/eventstore.md), so the writer goes on appending until one lands.
      await listening(`${prefix}es:appended`, 1);
      for (let attempt = 0; !received.some((e) => e.type === 'Later') && attempt < 50; attempt++) {
        await writer.store.appendToStream(`signal-${randomUUID()}`, [event('Later')], {
          expectedRevision: 'no_stream',
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(received.map((e) => e.type)).toContain('Later');
      await subscription.close();
      await consumed;
    } finally {
      await reader.stop();
      await writer.stop();
    }
  }, 20_000);
});
