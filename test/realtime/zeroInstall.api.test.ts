// `npm start` on a machine with nothing installed: with DATABASE_URL unset and nothing on the address, an
// embedded PostgreSQL runs (here on a port and in a directory of the test's own, away from the machine's
// PostgreSQL) and the service is ready on it; with no Redis the service stops with how to start one.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listening, redisMissingMessage } from '../../src/infrastructure/zeroInstall.ts';
import { createTestDatabase, testRedisPrefix } from '../support/database.ts';
import { freePort } from '../support/freePort.ts';
import { listeningPort, type MainProcess, startMain } from '../support/mainProcess.ts';

const started: MainProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const main of started) main.process.kill('SIGTERM');
  await Promise.all(started.map((main) => main.exited));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('zero-install start', { timeout: 300_000 }, () => {
  it('runs an embedded PostgreSQL when DATABASE_URL is unset and none listens, and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chat-embedded-pg-'));
    dirs.push(dir);
    // as root, PostgreSQL runs as another user (see zeroInstall.ts), which must be able to create its directory
    await chmod(dir, 0o777);
    const pgPort = await freePort();
    const main = startMain({
      DATABASE_URL: undefined, // unset, as on a fresh machine
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      EMBEDDED_POSTGRES_DIR: join(dir, 'postgres'),
      REDIS_PREFIX: testRedisPrefix('zero_install'),
    });
    started.push(main);
    await main.waitForLine(
      new RegExp(`nothing listens on 127\\.0\\.0\\.1:${pgPort}: running an embedded PostgreSQL`),
      240_000,
    );
    const port = await listeningPort(main);
    for (let ready = false; !ready; ) {
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(main.lines.find((line) => line.includes('chat service started'))).toContain(
      `embedded PostgreSQL in ${join(dir, 'postgres')}`,
    );
    main.process.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    expect(await listening('127.0.0.1', pgPort)).toBe(false); // stopped with the service
  });

  it('stops with how to start Redis when none answers', async () => {
    const database = await createTestDatabase('zero_install_redis');
    try {
      const redisUrl = `redis://127.0.0.1:${await freePort()}`;
      const main = startMain({ DATABASE_URL: database.url, REDIS_URL: redisUrl });
      started.push(main);
      expect(await main.exited).toBe(69);
      const output = main.lines.join('\n');
      expect(output).toContain(`No Redis answers at REDIS_URL (${redisUrl})`);
      expect(output).toContain('docker run -d --name chat-redis -p 127.0.0.1:6379:6379 redis:7');
    } finally {
      await database.drop();
    }
  });

  it('says the default was used when REDIS_URL is unset', () => {
    expect(redisMissingMessage('redis://127.0.0.1:6379', false)).toMatch(
      /^No Redis answers at redis:\/\/127\.0\.0\.1:6379 \(REDIS_URL is unset, so the default\)/,
    );
  });
});
