// The real service on a port of its own over one database, which a test can stop and start again (the
// same port, the same data): what a server restart looks like to a client. Each start is a new app and
// projector, as after a deploy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type App, type AppOverrides, buildApp, startAppProjections } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { ProjectionsHandle } from '../../src/projections/projectionRunner.ts';
import { type ContractWatch, watchContract } from '../api/support/openApiContract.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from './database.ts';
import { TEST_JWT_SECRET } from './tokens.ts';

export type RestartableService = {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  readonly app: App;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops (if running) and drops the database */
  dispose(): Promise<void>;
};

export async function startRestartableService(
  label: string,
  env: Record<string, string | undefined> = {},
  /** what each start's app is built with (a log stream, say) */
  overrides: AppOverrides = {},
): Promise<RestartableService> {
  const database: TestDatabase = await createTestDatabase(label);
  const attachmentsDir = await mkdtemp(join(tmpdir(), `chat-${label}-`));
  await migrate(database.url);
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix(label),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    ATTACHMENTS_DIR: attachmentsDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  let port = 0;
  let running: { app: App; projections: ProjectionsHandle; contract: ContractWatch } | null = null;

  const service: RestartableService = {
    get baseUrl() {
      return `http://127.0.0.1:${port}`;
    },
    get app() {
      if (!running) throw new Error('the service is stopped');
      return running.app;
    },
    async start() {
      const app = await buildApp(config, overrides);
      // every answer checked against the served document, as in startTestApp
      const contract = watchContract(app);
      await app.listen({ host: '127.0.0.1', port });
      const address = app.server.address();
      if (address && typeof address === 'object') port = address.port;
      running = { app, projections: await startAppProjections(app), contract };
    },
    async stop() {
      if (!running) return;
      const { app, projections, contract } = running;
      running = null;
      await Promise.race([projections.stop(), sleep(3_000)]);
      await app.close();
      contract.close();
    },
    async dispose() {
      await service.stop();
      await database.drop();
      await rm(attachmentsDir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}
