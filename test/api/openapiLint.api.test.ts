// The served document passes `redocly lint` with the recommended ruleset (redocly.yaml names and justifies
// the rules turned off), as the Flutter team's and anyone's tooling will read it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/testApp.ts';

const run = promisify(execFile);
let t: TestApp;
let directory: string;

beforeAll(async () => {
  t = await startTestApp('openapi_lint', {}, {}, { projector: false });
  directory = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
});
afterAll(async () => {
  await t?.stop();
  await rm(directory, { recursive: true, force: true });
});

it('passes redocly lint with the recommended rules', async () => {
  const file = join(directory, 'openapi.json');
  await writeFile(file, (await t.app.inject({ url: '/openapi.json' })).body);
  const lint = await run(
    'node_modules/.bin/redocly',
    ['lint', '--config', 'redocly.yaml', '--format', 'stylish', file],
    {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  ).catch((error: Error & { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: `${error.stderr ?? ''}${error.message}`,
  }));
  // a failed lint rejects with its report: shown as the mismatch
  expect(`${lint.stdout}${lint.stderr}`).toMatch(/Your API description is valid/);
  expect(`${lint.stdout}${lint.stderr}`).not.toMatch(/warning/i);
});
