// One running chat node for realtime tests: the real app (buildApp) listening on a random port, with the
// projection runner publishing to Redis like `npm start` does. Several nodes may share a database and a
// Redis prefix: that is the multi-node setup.

import { buildApp } from '../../../src/app.ts';
import type { CommandContext } from '../../../src/commands/context.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Actor } from '../../../src/domain/actor.ts';
import type { ChangePublisher, FeedEntry } from '../../../src/projections/changeFeed.ts';
import { type ProjectionsHandle, startProjections } from '../../../src/projections/projectionRunner.ts';
import type { RealtimeLimits } from '../../../src/realtime/realtimePlugin.ts';
import { createRedisChangePublisher } from '../../../src/realtime/redisChangePublisher.ts';
import { TEST_JWT_SECRET } from '../../support/tokens.ts';

export type ChatNode = {
  app: Awaited<ReturnType<typeof buildApp>>;
  /** ws://127.0.0.1:port */
  wsBase: string;
  projections: ProjectionsHandle;
  as(actor: Actor | string): CommandContext;
  stop(): Promise<void>;
};

export async function startChatNode(options: {
  databaseUrl: string;
  redisPrefix: string;
  limits?: Partial<RealtimeLimits>;
  env?: Record<string, string>;
  /** feed entries this node's projector "loses" on the way to Redis (pub/sub is at-most-once) */
  dropPublish?: (entry: FeedEntry) => boolean;
}): Promise<ChatNode> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    REDIS_PREFIX: options.redisPrefix,
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await buildApp(config, { realtimeLimits: options.limits });
  const projections = await startProjections({
    pool: app.pg,
    eventStore: app.eventStore,
    publisher: losing(createRedisChangePublisher(app.redis, config.REDIS_PREFIX), options.dropPublish),
    retryMs: 200,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
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
    async stop() {
      await projections.stop();
      await app.close();
    },
  };
}

function losing(publisher: ChangePublisher, drop?: (entry: FeedEntry) => boolean): ChangePublisher {
  if (!drop) return publisher;
  return { publish: (entries) => publisher.publish(entries.filter((entry) => !drop(entry))) };
}
