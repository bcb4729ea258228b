// Command handler tests run against the real PostgreSQL event store, one database per test file.
import pg from 'pg';
import { afterAll } from 'vitest';
import type { CommandContext } from '../../src/commands/context.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import type { StateCache } from '../../src/commands/stateCache.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { Role } from '../../src/domain/actor.ts';
import type { EventStore } from '../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase } from '../support/database.ts';

/** A migrated database and an event store on it, dropped after the file's tests. */
export async function useEventStore(label: string): Promise<EventStore> {
  const database = await createTestDatabase(label);
  await migrate(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  const store = createPostgresEventStore({ pool });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });
  return store;
}

export function as(
  eventStore: EventStore,
  userId: string,
  options: { roles?: Role[]; stateCache?: StateCache } = {},
): CommandContext {
  return {
    eventStore,
    actor: { userId, username: userId, roles: options.roles ?? [] },
    stateCache: options.stateCache,
  };
}

/**
 * The real store, except that the first read of `stream` by each of `parties` callers waits until all of
 * them have read: they all decide on the same revision, so their appends are guaranteed to race.
 */
export function racingReadsOf(store: EventStore, stream: string, parties: number): EventStore {
  let waiting = 0;
  let release!: () => void;
  const allRead = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    appendToStream: (...args) => store.appendToStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    async readStream(name, options) {
      const events = await store.readStream(name, options);
      if (name === stream && waiting < parties) {
        waiting++;
        if (waiting === parties) release();
        await allRead;
      }
      return events;
    },
  };
}

/** A group room created by `owner` (its admin) with `members`; returns its id. */
export async function createGroup(store: EventStore, owner: string, ...members: string[]): Promise<string> {
  const { roomId } = await createRoom(as(store, owner), {
    roomType: 'group',
    name: 'Maintenance',
    participantIds: members,
  });
  return roomId;
}
