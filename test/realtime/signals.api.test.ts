// Stopping as a process manager stops things: SIGTERM to the process it started (`npm start`, or a Procfile
// entry run by `sh -c`) ends the service gracefully and leaves no node process behind; and the logs a
// manager collects are JSON lines with one start line that says where the service is and how it runs,
// while a terminal gets readable lines.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';
import { type MainProcess, startMain } from '../support/mainProcess.ts';
import { TEST_JWT_SECRET } from '../support/tokens.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const started: MainProcess[] = [];
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase('signals');
  env = {
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('signals'),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
  };
});
afterAll(async () => {
  for (const main of started) main.process.kill('SIGKILL');
  await database?.drop();
});

function start(file: string, args: string[], extraEnv: Record<string, string> = {}): MainProcess {
  const main = startMain({ ...env, ...extraEnv }, { file, args, cwd: ROOT });
  started.push(main);
  return main;
}

/** The node process under `pid` (itself, or a descendant: npm starts it through a shell or directly). */
async function nodeUnder(pid: number): Promise<number> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^(\d+) \((.*)\) \S+ (\d+)/.exec(stat);
    if (match) {
      parents.set(Number(match[1]), Number(match[3]));
      names.set(Number(match[1]), match[2]!);
    }
  }
  const isUnder = (candidate: number): boolean =>
    candidate === pid || (parents.has(candidate) && candidate > 1 && isUnder(parents.get(candidate)!));
  const exe = async (candidate: number) =>
    (await readFile(`/proc/${candidate}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
  for (const candidate of [...parents.keys()].sort((a, b) => a - b)) {
    if (isUnder(candidate) && /(^|\/)node$/.test(await exe(candidate))) return candidate;
  }
  throw new Error(`no node process under ${pid}`);
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('SIGTERM to the process a manager started', { timeout: 240_000 }, () => {
  it('npm start: the service shuts down gracefully and npm ends after it, no node left', async () => {
    const npm = start('npm', ['start', '--silent']);
    await npm.waitForLine(/chat service started/, 120_000);
    const pid = await nodeUnder(npm.process.pid!);
    expect(pid).not.toBe(npm.process.pid);
    npm.process.kill('SIGTERM');
    expect(await npm.exited, npm.lines.slice(-4).join('\n')).toBe(0);
    expect(running(pid)).toBe(false);
    expect(npm.lines.some((line) => line.includes('"shutting down"'))).toBe(true);
  });

  it.each(['web', 'worker'])('the Procfile entry %s, run by sh -c as managers do', async (name) => {
    const procfile = await readFile(new URL('../../deploy/Procfile', import.meta.url), 'utf8');
    const command = new RegExp(`^${name}: (.+)$`, 'm').exec(procfile)![1]!;
    const entry = start('sh', ['-c', command]);
    await entry.waitForLine(name === 'web' ? /chat service started/ : /job worker running/, 120_000);
    const pid = await nodeUnder(entry.process.pid!);
    entry.process.kill('SIGTERM');
    expect(await entry.exited, entry.lines.slice(-4).join('\n')).toBe(0);
    expect(running(pid)).toBe(false);
  });
});

describe('logs', { timeout: 240_000 }, () => {
  it('are JSON lines when stdout is not a terminal, with one start line', async () => {
    const main = start(process.execPath, ['src/main.ts']);
    await main.waitForLine(/chat service started/, 120_000);
    main.process.kill('SIGTERM');
    await main.exited;
    const entries = main.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const startLines = entries.filter((entry) => String(entry.msg).startsWith('chat service started'));
    expect(startLines).toHaveLength(1);
    expect(startLines[0]).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      docs: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/docs$/),
      event_store: 'postgresql',
      tokens: 'CHAT_JWT_SECRET',
    });
  });

  it.skipIf(!existsSync('/usr/bin/script'))('are readable lines on a terminal', async () => {
    // script(1) gives the service a pseudo-terminal as its stdout
    const main = start('/usr/bin/script', ['-qfec', `${process.execPath} src/main.ts`, '/dev/null']);
    await main.waitForLine(/chat service started/, 120_000);
    const line = main.lines.find((text) => text.includes('chat service started'))!;
    main.process.kill('SIGTERM');
    expect(line).not.toMatch(/^\s*\{/);
    expect(line).toMatch(
      /INFO.*chat service started: http:\/\/127\.0\.0\.1:\d+ \(API docs http:\/\/127\.0\.0\.1:\d+\/docs\)/,
    );
  });
});
