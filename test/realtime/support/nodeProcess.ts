// A chat node in a process of its own (no projector), for tests that kill a node with SIGKILL: no cleanup
// runs, as when a machine dies. Prints `port N` once it listens. PRESENCE_HEARTBEAT_MS sets its heartbeat.
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { TEST_JWT_SECRET } from '../../support/tokens.ts';

const config = loadConfig({
  DATABASE_URL: process.env.DATABASE_URL,
  REDIS_PREFIX: process.env.REDIS_PREFIX,
  CHAT_JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: 'silent',
});
const app = await buildApp(config, {
  realtimeLimits: { presenceHeartbeatMs: Number(process.env.PRESENCE_HEARTBEAT_MS ?? 10_000) },
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`);
