// `npm run chat -- audit ...` as an auditor and an outsider run it: separate processes, files on disk.
// Traffic goes through the real app; the CLI replays a room (each replay recorded as an auditor read),
// exports it (sequencing the store into the
// audit log and signing a checkpoint with the development key it generated), and the offline verifier
// accepts the file and refuses every tampered copy, naming the event: one byte edited, an event dropped,
// two swapped, a forged event added, a wrong key, a truncated file. Two exports taken apart are
// consistent; a log rebuilt from scratch (history rewritten) is not.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

let t: TestApp;
let dir: string;
let alice: UserClient;
let bob: UserClient;
let roomId: string;
let key: string;

async function chat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [CLI, ...args],
      {
        env: {
          ...process.env,
          DATABASE_URL: t.app.config.DATABASE_URL,
          REDIS_PREFIX: t.app.config.REDIS_PREFIX,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const file = (name: string) => join(dir, name);
const lines = async (name: string) => (await readFile(file(name), 'utf8')).split('\n').filter(Boolean);

beforeAll(async () => {
  t = await startTestApp('audit_cli');
  dir = await mkdtemp(join(tmpdir(), 'audit-cli-'));
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  const room = await alice.post('/api/chat/rooms/', {
    name: 'Flat 4B',
    room_type: 'group',
    participant_ids: [bob.userId],
  });
  roomId = room.body.id;
  const other = await bob.post('/api/chat/rooms/', { name: 'Other', room_type: 'group' });
  for (let i = 0; i < 5; i++) {
    await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: `note ${i}` });
    await bob.post(`/api/chat/rooms/${other.body.id}/messages/`, { content: `elsewhere ${i}` });
  }
  const sent = await bob.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'the code is 1234' });
  await bob.patch(`/api/chat/messages/${sent.body.id}/`, { content: 'the code is ****' });
  await bob.delete(`/api/chat/messages/${sent.body.id}/`);
  const keyed = await chat('audit', 'key');
  expect(keyed.code).toBe(0);
  key = keyed.stdout.trim();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.stop();
});

describe('audit replay', () => {
  it('prints the room’s history readably, and as JSON lines with --json', async () => {
    const text = await chat('audit', 'replay', '--room', roomId);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('MessageEdited');
    expect(text.stdout).toContain('the code is 1234');
    expect(text.stdout).toContain(bob.userId);
    const replayed = async () =>
      (await chat('audit', 'replay', '--room', roomId, '--json')).stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const events = await replayed();
    expect(events.map((e) => e.type).filter((type) => type !== 'AuditorRead')).toEqual([
      'RoomCreated',
      ...Array(6).fill('MessageSent'),
      'MessageEdited',
      'MessageDeleted',
    ]);
    // each replay is recorded before it reads, as a REST read is; the store shows an event once no older
    // transaction is open, on a shared server a moment later, so later replays show the earlier ones
    await vi.waitFor(
      async () => {
        const reads = (await replayed()).filter((e) => e.type === 'AuditorRead');
        expect(reads.length).toBeGreaterThanOrEqual(2);
        for (const read of reads) {
          expect(read.data).toMatchObject({
            resource: 'room_events',
            roomId,
            auditorId: expect.stringMatching(/^cli:/),
          });
          expect(read.actor_id).toBe(read.data.auditorId);
        }
      },
      { timeout: 60_000, interval: 1_000 },
    );
    const edit = events.find((e) => e.type === 'MessageEdited');
    const before = new Date(Date.parse(edit.recorded_at) - 1).toISOString();
    const at = await chat('audit', 'replay', '--room', roomId, '--at', before, '--json');
    expect(at.stdout).not.toContain('MessageEdited');
    expect(at.stdout).toContain('the code is 1234');
    // a room that does not exist gets no history from being asked about
    const nowhere = uuidv4();
    expect((await chat('audit', 'replay', '--room', nowhere)).code).toBe(1);
    expect((await chat('audit', 'replay', '--room', nowhere)).stderr).toContain('no events');
  });

  it('refuses bad usage with exit code 2', async () => {
    expect((await chat('audit', 'replay')).code).toBe(2);
    expect((await chat('audit', 'export', '--room', roomId)).code).toBe(2);
    expect((await chat('audit', 'replay', '--room', roomId, '--at', 'soon')).code).toBe(2);
  });
});

describe('audit export and verify', () => {
  beforeAll(async () => {
    const exported = await chat('audit', 'export', '--room', roomId, '--out', file('room.jsonl'));
    expect(exported.stderr).toContain('100.0%');
    expect(exported.code).toBe(0);
  });

  it('verifies an export with the log’s key, offline', async () => {
    const verified = await chat('audit', 'verify', file('room.jsonl'), '--key', key);
    expect(verified).toMatchObject({ code: 0 });
    // the room's 9 events of traffic, and the replays before, recorded as auditor reads
    const all = Number(/room \S+: all (\d+) events/.exec(verified.stdout)?.[1]);
    expect(all).toBeGreaterThan(9);
    const reads = (await lines('room.jsonl'))
      .map((line) => JSON.parse(line))
      .filter((line) => line.t === 'event' && line.leaf.event.type === 'AuditorRead');
    expect(reads).toHaveLength(all - 9);
    for (const read of reads) expect(read.leaf.event.data.auditorId).toMatch(/^cli:/);
    const exported = await lines('room.jsonl');
    expect(exported.join('\n')).toContain('the code is 1234');
  });

  it('fails on any change, naming the event', async () => {
    const original = await lines('room.jsonl');
    const events = original
      .map((line, n) => [line, n] as const)
      .filter(([line]) => line.startsWith('{"t":"event"'));
    const [, third] = events[2]!;
    const eventId = (n: number) => JSON.parse(original[n]!).leaf.event.id as string;
    const tampered: Record<string, string[]> = {
      edited: original.map((line) => line.replace('the code is 1234', 'the code is 1235')),
      dropped: original.filter((_, n) => n !== third),
      swapped: original.map((line, n) =>
        n === third ? original[third + 1]! : n === third + 1 ? original[third]! : line,
      ),
      forged: [
        ...original.slice(0, third + 1),
        original[third]!.replace(eventId(third), uuidv4()),
        ...original.slice(third + 1),
      ],
    };
    for (const [name, content] of Object.entries(tampered)) {
      await writeFile(file(`${name}.jsonl`), `${content.join('\n')}\n`);
      const verified = await chat('audit', 'verify', file(`${name}.jsonl`), '--key', key);
      expect({ name, code: verified.code }).toEqual({ name, code: 1 });
      expect(verified.stderr).toMatch(/NOT VERIFIED: line \d+, event [0-9a-f-]{36}/);
    }
    const editedLine = original.findIndex((line) => line.includes('the code is 1234'));
    expect((await chat('audit', 'verify', file('edited.jsonl'), '--key', key)).stderr).toContain(
      `event ${eventId(editedLine)}`,
    );
  });

  it('fails with another key, and on a truncated file', async () => {
    const other = await chat('audit', 'keygen', 'chat.local/audit');
    const otherKey = /verifier key: (\S+)/.exec(other.stdout)![1]!;
    const wrongKey = await chat('audit', 'verify', file('room.jsonl'), '--key', otherKey);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('NOT VERIFIED');
    const original = await lines('room.jsonl');
    await writeFile(file('truncated.jsonl'), `${original.slice(0, -3).join('\n')}\n`);
    expect((await chat('audit', 'verify', file('truncated.jsonl'), '--key', key)).code).toBe(1);
  });

  it('exports every room with --all, and withholds text outside --from/--to', async () => {
    expect((await chat('audit', 'export', '--all', '--out', file('all.jsonl'))).code).toBe(0);
    const all = await chat('audit', 'verify', file('all.jsonl'), '--key', key);
    expect(all.code).toBe(0);
    expect(all.stdout.match(/room .*: all \d+ events/g)).toHaveLength(2);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const later = await chat(
      'audit',
      'export',
      '--room',
      roomId,
      '--from',
      future,
      '--out',
      file('later.jsonl'),
    );
    expect(later.code).toBe(0);
    expect((await chat('audit', 'verify', file('later.jsonl'), '--key', key)).code).toBe(0);
    expect((await lines('later.jsonl')).join('\n')).not.toContain('the code is');
  });

  it('proves a later export extends an earlier one, and detects a rewritten history', async () => {
    await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'one more' });
    expect((await chat('audit', 'export', '--room', roomId, '--out', file('newer.jsonl'))).code).toBe(0);
    const consistent = await chat(
      'audit',
      'verify',
      '--consistency',
      file('room.jsonl'),
      file('newer.jsonl'),
      '--key',
      key,
    );
    expect(consistent.code).toBe(0);
    expect(consistent.stdout).toContain('extends OLD');

    // the operator rebuilds the log from the store (fresh secrets, so every leaf differs) and signs it
    await t.app.pg.query(
      'TRUNCATE audit_leaves, audit_nodes, audit_room_trees, audit_log_state, audit_checkpoints',
    );
    expect((await chat('audit', 'export', '--room', roomId, '--out', file('rewritten.jsonl'))).code).toBe(0);
    expect((await chat('audit', 'verify', file('rewritten.jsonl'), '--key', key)).code).toBe(0);
    const rewritten = await chat(
      'audit',
      'verify',
      '--consistency',
      file('room.jsonl'),
      file('rewritten.jsonl'),
      '--key',
      key,
    );
    expect(rewritten.code).toBe(1);
    expect(rewritten.stderr).toContain('NOT VERIFIED');
  });
});
