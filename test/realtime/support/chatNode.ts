// One running chat node for realtime tests: the real app (buildApp) listening on a random port, with the
// projection runner publishing to Redis like `npm start` does. Several nodes may share a database and a
// Redis prefix: that is the multi-node setup.
import pg from 'pg';
import { buildApp } from '../../../src/app.ts';
import type { CommandContext } from '../../../src/commands/context.ts';
import { createRoom } from '../../../src/commands/createRoom.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Actor } from '../../../src/domain/actor.ts';
import type { EventStore } from '../../../src/eventstore/eventStore.ts';
import type { ChangePublisher, FeedEntry } from '../../../src/projections/changeFeed.ts';
import { type ProjectionsHandle, startProjections } from '../../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../../src/projections/registry.ts';
import { waitForPosition } from '../../../src/projections/waitForPosition.ts';
import type { RealtimeLimits } from '../../../src/realtime/realtimePlugin.ts';
import { createRedisChangePublisher } from '../../../src/realtime/redisChangePublisher.ts';
import { watchContract } from '../../api/support/openApiContract.ts';
import { mintToken, TEST_JWT_SECRET } from '../../support/tokens.ts';
import { openSocket, type TestSocket } from './testSocket.ts';

export type ChatNode = {
  app: Awaited<ReturnType<typeof buildApp>>;
  /** ws://127.0.0.1:port */
  wsBase: string;
  projections: ProjectionsHandle;
  as(actor: Actor | string): CommandContext;
  /** a group room created by `creator` with `others`, once the projector has it (sockets can join) */
  groupRoom(creator: string, others: string[], name?: string): Promise<string>;
  /** a socket to `path` ('/ws/chat/...') with a fresh token for `userId` (`query` is appended); stop() ends it */
  connect(path: string, userId: string, query?: string): Promise<TestSocket>;
  stop(): Promise<void>;
};

export async function startChatNode(options: {
  databaseUrl: string;
  redisPrefix: string;
  limits?: Partial<RealtimeLimits>;
  env?: Record<string, string>;
  /** feed entries this node's projector "loses" on the way to Redis (pub/sub is at-most-once) */
  dropPublish?: (entry: FeedEntry) => boolean;
  /** the event store the node uses instead of building its own (the caller closes it) */
  eventStore?: EventStore;
}): Promise<ChatNode> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    REDIS_PREFIX: options.redisPrefix,
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    // tests send faster than people do; the limits have tests of their own (test/api/rateLimits*)
    RATE_LIMITS: 'off',
    ...options.env,
  });
  const app = await buildApp(config, {
    realtimeLimits: options.limits,
    ...(options.eventStore ? { eventStore: options.eventStore } : {}),
  });
  // every REST answer checked against the served document, as in startTestApp
  const contract = watchContract(app);
  const projections = await startProjections({
    pool: app.pg,
    projections: PROJECTIONS,
    eventStore: app.eventStore,
    publisher: losing(createRedisChangePublisher(app.redis, config.REDIS_PREFIX), options.dropPublish),
    retryMs: 200,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const sockets: TestSocket[] = [];
  const node: ChatNode = {
    app,
    wsBase: `ws://127.0.0.1:${port}`,
    projections,
    as: (actor) => ({
      eventStore: app.eventStore,
      actor:
        typeof actor === 'string'
          ? { userId: actor, username: `user-${actor.slice(0, 8)}`, roles: [] }
          : actor,
    }),
    async groupRoom(creator, others, name = 'room') {
      const room = await createRoom(node.as(creator), { roomType: 'group', name, participantIds: others });
      if (!(await waitForPosition(app.pg, room.position, 10_000, 'chat')))
        throw new Error('the room was not projected');
      return room.roomId;
    },
    async connect(path, userId, query = '') {
      const token = await mintToken(userId);
      const socket = openSocket(`${node.wsBase}${path}?token=${token}${query}`);
      sockets.push(socket);
      return socket;
    },
    async stop() {
      for (const socket of sockets) socket.ws.terminate();
      // a stop that hangs says where and on what (one did in CI runs, in presence.api.test.ts's afterAll)
      const pending = () => whatIsPending(app.pg, options.databaseUrl);
      await sayIfSlow('the projections', () => projections.stop(), pending);
      await sayIfSlow('the app', () => app.close(), pending);
      contract.close();
    },
  };
  return node;
}

const SAY_AFTER_MS = 20_000;
const GIVE_UP_AFTER_MS = 90_000;

/**
 * Runs `work`; still running after 20 s, it writes to stderr which step and what is pending; after 90 s
 * it fails with the same (so a test's failure summary holds it, not only the log above it).
 */
async function sayIfSlow(
  step: string,
  work: () => Promise<void>,
  pending: () => Promise<string>,
): Promise<void> {
  const say = setTimeout(
    () =>
      void pending().then((what) =>
        console.error(`ChatNode.stop: still stopping ${step} after 20 s; ${what}`),
      ),
    SAY_AFTER_MS,
  );
  let giveUp: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    giveUp = setTimeout(
      () =>
        void pending().then((what) =>
          reject(new Error(`ChatNode.stop: ${step} did not stop in 90 s; ${what}`)),
        ),
      GIVE_UP_AFTER_MS,
    );
  });
  try {
    await Promise.race([work(), gaveUp]);
  } finally {
    clearTimeout(say);
    clearTimeout(giveUp);
  }
}

/** the pool's connections, what the database's sessions are doing, and the process's live handles */
async function whatIsPending(pool: pg.Pool, databaseUrl: string): Promise<string> {
  const resources = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) resources.set(kind, (resources.get(kind) ?? 0) + 1);
  const sessions = await sessionsOf(databaseUrl).catch((error: unknown) => `unknown (${String(error)})`);
  return (
    `pool: ${pool.totalCount} open, ${pool.idleCount} idle, ${pool.waitingCount} waiting; ` +
    `sessions: ${sessions}; ` +
    `active resources: ${[...resources].map(([kind, n]) => `${kind} ${n}`).join(', ')}`
  );
}

async function sessionsOf(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ session: string }>(
      `SELECT concat_ws(' ', state, wait_event_type, wait_event, left(query, 80)) AS session
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.map((row) => `[${row.session}]`).join(' ') || 'none';
  } finally {
    await client.end();
  }
}

function losing(publisher: ChangePublisher, drop?: (entry: FeedEntry) => boolean): ChangePublisher {
  if (!drop) return publisher;
  return { publish: (entries) => publisher.publish(entries.filter((entry) => !drop(entry))) };
}
