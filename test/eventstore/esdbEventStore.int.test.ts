// The event store contract against EventStoreDB/KurrentDB, plus what only ESDB can show (its system events
// stay out of our reads). It needs a server: EVENTSTORE_URL, or a KurrentDB container where Docker works.
// Without either every test here is reported as skipped, with the reason, never as passed.
import { randomUUID } from 'node:crypto';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createEsdbEventStore } from '../../src/eventstore/esdb/esdbEventStore.ts';
import type { EventToAppend } from '../../src/eventstore/eventStore.ts';
import { describeEventStoreContract } from './eventStoreContract.ts';

const KURRENTDB_IMAGE = 'kurrentplatform/kurrentdb:25.0';
const SKIP_REASON = 'EventStoreDB not reachable: set EVENTSTORE_URL or run Docker';
const DOCKER_PROBE_TIMEOUT_MS = 10_000;
const CONTAINER_START_TIMEOUT_MS = 180_000;

async function dockerWorks(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('no answer from a container runtime')),
      DOCKER_PROBE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

type Server = { connectionString: string; stop(): Promise<void> };

/** One server for the whole file, started on first use: the URL given, or a fresh container. */
let server: Promise<Server> | undefined;
function esdbServer(): Promise<Server> {
  server ??= (async () => {
    if (process.env.EVENTSTORE_URL)
      return { connectionString: process.env.EVENTSTORE_URL, stop: async () => {} };
    const { KurrentDbContainer } = await import('@testcontainers/kurrentdb');
    const container = await new KurrentDbContainer(KURRENTDB_IMAGE).start();
    return {
      connectionString: container.getConnectionString(),
      stop: async () => {
        await container.stop();
      },
    };
  })();
  return server;
}

const reachable = Boolean(process.env.EVENTSTORE_URL) || (await dockerWorks());
if (!reachable) console.warn(`Skipping the EventStoreDB tests: ${SKIP_REASON}`);

afterAll(async () => {
  await (await server)?.stop();
}, CONTAINER_START_TIMEOUT_MS);

describe.skipIf(!reachable)(reachable ? 'EventStoreDB' : `EventStoreDB (skipped: ${SKIP_REASON})`, () => {
  describeEventStoreContract('EventStoreDB', async () => {
    const { connectionString } = await esdbServer();
    const store = createEsdbEventStore({ connectionString });
    return { store, teardown: () => store.close() };
  });

  describe('only our events come out of $all', () => {
    it('system events ($-prefixed streams and types) are never read or handed to subscribers', async () => {
      const { connectionString } = await esdbServer();
      const store = createEsdbEventStore({ connectionString });
      const client = KurrentDBClient.connectionString(connectionString);
      try {
        const start = await store.headPosition();
        const stream = `esdb-system-${randomUUID()}`;
        const event: EventToAppend = {
          id: randomUUID(),
          type: 'Marked',
          data: {},
          metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
        };
        // setting stream metadata writes a `$metadata` event to the `$$<stream>` system stream
        await client.setStreamMetadata(stream, { maxCount: 10 });
        await store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });

        const read = await store.readAll({ ...(start ? { fromPosition: start } : {}) });
        expect(read.some((e) => e.stream.startsWith('$') || e.type.startsWith('$'))).toBe(false);
        expect(read.map((e) => e.id)).toContain(event.id);

        const subscription = store.subscribeToAll(start ? { fromPosition: start } : {});
        const seen: string[] = [];
        for await (const batch of subscription) {
          seen.push(...batch.map((e) => `${e.stream}/${e.type}`));
          if (batch.some((e) => e.id === event.id)) break;
        }
        expect(seen.filter((name) => name.includes('$'))).toEqual([]);
      } finally {
        await client.dispose();
        await store.close();
      }
    });
  });
});
