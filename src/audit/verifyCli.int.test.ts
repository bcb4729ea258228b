// The verifier as an outsider runs it: a separate process, files on disk, the public key on the command line.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append, checkpoint, exportLines, newSampleLog, roomStory } from './fixtures/sampleLog.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, 'verifyCli.ts');

async function verifyCli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('verifyCli', () => {
  let dir: string;
  let key: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
    const sample = newSampleLog();
    key = sample.verifierKey;
    append(sample, roomStory('room-a', 4));
    const first = checkpoint(sample);
    const older = await exportLines(sample, ['room-a']);
    append(sample, roomStory('room-b', 2));
    checkpoint(sample);
    const newer = await exportLines(sample, ['room-a'], { consistencyFrom: [first.checkpoint.size] });
    await writeFile(join(dir, 'old.jsonl'), older.join(''));
    await writeFile(join(dir, 'new.jsonl'), newer.join(''));
    await writeFile(
      join(dir, 'tampered.jsonl'),
      older.join('').replace('message 2 in room-a', 'message 9 in room-a'),
    );
    await writeFile(join(dir, 'key.txt'), `${key}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and summarises a valid export, with the key given inline or in a file', async () => {
    const inline = await verifyCli('verify', join(dir, 'old.jsonl'), '--key', key);
    expect(inline.code).toBe(0);
    expect(inline.stdout).toMatch(/verified: \d+ events of chat\.example\/audit at tree size \d+/);
    expect(inline.stdout).toMatch(/room room-a: all \d+ events/);
    const fromFile = await verifyCli('verify', join(dir, 'old.jsonl'), '--key-file', join(dir, 'key.txt'));
    expect(fromFile.code).toBe(0);
  });

  it('exits 1 naming the line, event and room of a tampered export', async () => {
    const result = await verifyCli('verify', join(dir, 'tampered.jsonl'), '--key', key);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^NOT VERIFIED: line \d+, event [0-9a-f-]+, room room-a event #\d+: the text of data.content is not the text the log committed to/,
    );
  });

  it('checks consistency between two exports both ways round', async () => {
    const ok = await verifyCli(
      'verify',
      '--consistency',
      join(dir, 'old.jsonl'),
      join(dir, 'new.jsonl'),
      '--key',
      key,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/NEW \(tree size \d+\) extends OLD \(tree size \d+\)/);
    const reversed = await verifyCli(
      'verify',
      '--consistency',
      join(dir, 'new.jsonl'),
      join(dir, 'old.jsonl'),
      '--key',
      key,
    );
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toMatch(/is newer than NEW/);
  });

  it('exits 2 on bad usage or a missing file', async () => {
    expect((await verifyCli('verify', join(dir, 'old.jsonl'))).code).toBe(2);
    expect((await verifyCli('check', join(dir, 'old.jsonl'), '--key', key)).code).toBe(2);
    const missing = await verifyCli('verify', join(dir, 'nope.jsonl'), '--key', key);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: ENOENT/);
  });
});
