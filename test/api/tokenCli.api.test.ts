// `npm run chat -- token`, run as a newcomer would (a separate process), and its token used on the service.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/tokenVerifier.ts';
import { loadConfig } from '../../src/config.ts';
import { TEST_JWT_SECRET } from '../support/tokens.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

/** The CLI with only the token settings given (none of the machine's own). */
const chat = (env: Record<string, string>, ...args: string[]) =>
  run(NODE, [CLI, 'token', ...args], { env: { PATH: process.env.PATH!, ...env } });

let service: TestApp;
let keyDir: string;
beforeAll(async () => {
  service = await startTestApp('token_cli');
  keyDir = await mkdtemp(join(tmpdir(), 'chat-token-'));
});
afterAll(async () => {
  await service?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

const get = (path: string, token: string) =>
  service.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });

// each case starts the CLI a few times: generous on a busy machine
describe('npm run chat -- token', { timeout: 180_000 }, () => {
  it('mints a development token the service accepts when it runs without a key', async () => {
    const { stdout } = await chat({}, '--user', '42', '--name', 'alice', '--roles', 'moderator,ops');
    const verify = createTokenVerifier(loadConfig({}));
    const user = await verify(stdout.trim());
    expect(user).toMatchObject({ userId: '42', username: 'alice', roles: ['moderator', 'ops'] });
    expect(user.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_500_000); // the default hour
  });

  it('refuses a service configured with a production key unless that key is given', async () => {
    const configured = { CHAT_JWT_SECRET: TEST_JWT_SECRET };
    await expect(chat(configured, '--user', '42')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('production key'),
    });
    const wrongKey = join(keyDir, 'wrong');
    await writeFile(wrongKey, 'another-secret-of-at-least-32-characters\n');
    await expect(chat(configured, '--user', '42', '--secret-file', wrongKey)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not the configured'),
    });

    const keyFile = join(keyDir, 'key');
    await writeFile(keyFile, `${TEST_JWT_SECRET}\n`);
    const ops = (
      await chat(configured, '--user', '42', '--roles', 'ops', '--ttl', '5m', '--secret-file', keyFile)
    ).stdout.trim();
    const plain = (await chat(configured, '--user', '43', '--secret-file', keyFile)).stdout.trim();
    expect((await get('/api/chat/rooms/', plain)).statusCode).toBe(200);
    expect((await get('/api/ops/projections/', ops)).statusCode).toBe(200);
    expect((await get('/api/ops/projections/', plain)).statusCode).toBe(404); // no ops role
  });

  it('refuses a bad command line with usage', async () => {
    await expect(chat({}, '--name', 'alice')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage'),
    });
    await expect(chat({}, '--user', '42', '--roles', 'admin')).rejects.toMatchObject({ code: 2 });
    await expect(chat({}, '--user', '42', '--ttl', '9y')).rejects.toMatchObject({ code: 2 });
    await expect(chat({}, '--user', 'a b')).rejects.toMatchObject({ code: 2 });
  });
});
