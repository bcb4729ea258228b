// `npm run chat -- privacy keys|rewrap|migrate`, run as ops would: a separate process on real databases.
// Rotation: events written under master key A, B made current with A still configured, `rewrap`, then A
// removed: every message still reads back, in this process and through the CLI's own store. Migration: a
// plaintext store (PRIVACY_ENCRYPTION=off) copied into a fresh database: no marker in any event row, the
// same events in the same order, the same data through the decorator, a second run adds nothing, a third
// takes only what the old store got since, the read models rebuild, and the audit log built afterwards
// verifies.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { ChatEvent } from '../../src/domain/events.ts';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createInfrastructure } from '../../src/infrastructure/createInfrastructure.ts';
import { createEncryptingEventStore } from '../../src/privacy/encryptingEventStore.ts';
import { createLocalKeyWrapper } from '../../src/privacy/keyWrapper.ts';
import { migratePlaintextEvents } from '../../src/privacy/migratePlaintextEvents.ts';
import { createPostgresKeyStore } from '../../src/privacy/postgresKeyStore.ts';
import { chatWorkload, type WorkloadEvent } from '../projections/support/chatWorkload.ts';
import { appendEvents } from '../projections/support/readModels.ts';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../support/database.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

const MARKER = `marker-${randomBytes(6).toString('hex')}`;
const masterA = randomBytes(32);
const masterB = randomBytes(32);
const keyEntry = (id: string, key: Buffer) => `${id}:${key.toString('base64')}`;
const REDIS_PREFIX = testRedisPrefix('privacy_cli');

/** the CLI on `databaseUrl` with these master keys, the first current unless `current` says */
const chat = (databaseUrl: string, masterKeys: [string, Buffer][], current: string, ...args: string[]) =>
  run(NODE, [CLI, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX,
      PRIVACY_MASTER_KEYS: masterKeys.map(([id, key]) => keyEntry(id, key)).join(','),
      PRIVACY_MASTER_KEY_ID: current,
    },
  });

function decrypting(pool: pg.Pool, plain: EventStore, keys: [string, Buffer][], current: string) {
  const wrapper = createLocalKeyWrapper(new Map(keys), current);
  return createEncryptingEventStore(plain, {
    keyStore: createPostgresKeyStore({ pool, wrapper }),
    encryptOnAppend: true,
  });
}

async function readEverything(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({
      limit: 500,
      ...(events.length ? { fromPosition: events.at(-1)!.position } : {}),
    });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

/** readers see an event once every older transaction in the cluster has ended (docs/eventstore.md) */
async function waitForEvents(store: EventStore, count: number) {
  while ((await readEverything(store)).length < count) await sleep(50);
}

const markerRows = async (pool: pg.Pool) =>
  (
    await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1',
      [`%${MARKER}%`],
    )
  ).rows[0]!.n;

describe('privacy keys and rewrap', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let plain: EventStore;
  const roomId = uuidv4();
  const [ada, bo] = [uuidv4(), uuidv4()];
  const sent: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('privacy_cli_keys');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    plain = createPostgresEventStore({ pool });
    const store = decrypting(pool, plain, [['a', masterA]], 'a');
    const event = (type: string, data: unknown, occurredAt: string): EventToAppend => ({
      id: randomUUID(),
      type,
      data,
      metadata: { roomId, occurredAt, schemaVersion: 1 },
    });
    // two people on three days: six data keys, all wrapped by A
    for (const day of ['2026-11-28', '2026-11-29', '2026-11-30']) {
      for (const senderId of [ada, bo]) {
        const messageId = uuidv4();
        const content = `${senderId === ada ? 'ada' : 'bo'} on ${day} ${MARKER}`;
        sent.push(content);
        await store.appendToStream(
          `message-${messageId}`,
          [
            event(
              'MessageSent',
              { messageId, roomId, senderId, messageType: 'text', content },
              `${day}T10:00:00.000Z`,
            ),
          ],
          { expectedRevision: 'no_stream' },
        );
      }
    }
    await waitForEvents(plain, 6);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const keys = async (masterKeys: [string, Buffer][], current: string) =>
    JSON.parse((await chat(database.url, masterKeys, current, 'privacy', 'keys', '--json')).stdout);

  it('rotates A to B with one command; every message reads back once A is gone', async () => {
    expect(await keys([['a', masterA]], 'a')).toEqual([
      { id: 'a', configured: true, current: true, liveKeys: 6, destroyedKeys: 0 },
    ]);
    const both: [string, Buffer][] = [
      ['a', masterA],
      ['b', masterB],
    ];
    expect(await keys(both, 'b')).toEqual([
      { id: 'a', configured: true, current: false, liveKeys: 6, destroyedKeys: 0 },
      { id: 'b', configured: true, current: true, liveKeys: 0, destroyedKeys: 0 },
    ]);
    const inUse = await chat(database.url, both, 'b', 'privacy', 'keys');
    expect(inUse.stdout).toMatch(/^a\s+6\s+0\s+in use: run `privacy rewrap` before removing it$/m);

    const rewrap = await chat(database.url, both, 'b', 'privacy', 'rewrap', '--json');
    expect(JSON.parse(rewrap.stdout)).toEqual({ rewrapped: 6, masterKeyId: 'b' });
    const again = await chat(database.url, both, 'b', 'privacy', 'rewrap');
    expect(again.stdout.trim()).toBe('rewrapped 0 data keys with master key b');

    expect(await keys(both, 'b')).toEqual([
      { id: 'a', configured: true, current: false, liveKeys: 0, destroyedKeys: 0 },
      { id: 'b', configured: true, current: true, liveKeys: 6, destroyedKeys: 0 },
    ]);
    const unused = await chat(database.url, both, 'b', 'privacy', 'keys');
    expect(unused.stdout).toMatch(/^a\s+0\s+0\s+unused: can be removed from PRIVACY_MASTER_KEYS$/m);

    // A removed from the configuration: this process and the CLI's own store read every message
    const onlyB: [string, Buffer][] = [['b', masterB]];
    const contents = (await readEverything(decrypting(pool, plain, onlyB, 'b'))).map(
      (e) => (e.data as { content: string }).content,
    );
    expect(contents.sort()).toEqual([...sent].sort());
    const replay = await chat(database.url, onlyB, 'b', 'audit', 'replay', '--room', roomId, '--json');
    const replayed = replay.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).data.content);
    expect(replayed.sort()).toEqual([...sent].sort());
    expect(await markerRows(pool)).toBe(0);
  });

  it('counts destroyed keys apart, and names a master key in use that is not configured', async () => {
    await createPostgresKeyStore({
      pool,
      wrapper: createLocalKeyWrapper(new Map([['b', masterB]]), 'b'),
    }).destroy({ subjectId: ada, before: '2026-11-29' });
    expect(await keys([['b', masterB]], 'b')).toEqual([
      { id: 'b', configured: true, current: true, liveKeys: 5, destroyedKeys: 0 },
      { id: null, configured: false, current: false, liveKeys: 0, destroyedKeys: 1 },
    ]);
    const onlyA = await chat(database.url, [['a', masterA]], 'a', 'privacy', 'keys');
    expect(onlyA.stdout).toMatch(/^b\s+5\s+0\s+NOT CONFIGURED: its live keys cannot be opened$/m);
  });

  it('refuses an unknown command or option with usage', async () => {
    await expect(chat(database.url, [['b', masterB]], 'b', 'privacy', 'nope')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage'),
    });
    await expect(
      chat(database.url, [['b', masterB]], 'b', 'privacy', 'migrate', '--frm', 'x'),
    ).rejects.toMatchObject({ code: 2 });
    await expect(chat(database.url, [['b', masterB]], 'b', 'privacy', 'migrate')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('migrate needs --from'),
    });
  });
});

/** a workload with the marker in every field that is encrypted */
function marked(item: WorkloadEvent): WorkloadEvent {
  const event = item.event as unknown as ChatEvent;
  const data = structuredClone(event.data) as Record<string, unknown>;
  if (event.type === 'MessageSent' || event.type === 'MessageEdited')
    data.content = `${data.content} ${MARKER}`;
  if (event.type === 'ParticipantAdded') data.username = `${data.username} ${MARKER}`;
  if (event.type === 'RoomCreated') {
    for (const participant of data.participants as { username: string }[]) {
      participant.username = `${participant.username} ${MARKER}`;
    }
  }
  return { stream: item.stream, event: { ...item.event, data } };
}

describe('privacy migrate', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let sourcePool: pg.Pool;
  let targetPool: pg.Pool;
  let sourceStore: EventStore;
  let targetStored: EventStore;
  const masterKeys: [string, Buffer][] = [['b', masterB]];
  const workload = [...chatWorkload(440, { rooms: 6, users: 12 })].map(marked);
  const FIRST = 400;

  beforeAll(async () => {
    source = await createTestDatabase('privacy_cli_source');
    target = await createTestDatabase('privacy_cli_target');
    await migrate(source.url);
    // the old store as a deployment with encryption off wrote it
    const old = await createInfrastructure(
      loadConfig({
        DATABASE_URL: source.url,
        REDIS_PREFIX,
        PRIVACY_ENCRYPTION: 'off',
        CHAT_JWT_SECRET: 'test-secret-of-at-least-32-characters',
      }),
      // its last append signal may meet the Redis connection closed: a wake-up only, no warning wanted
      { process: 'cli', logger: pino({ level: 'error' }) },
    );
    try {
      await appendEvents(old.eventStore, workload.slice(0, FIRST));
    } finally {
      await old.close();
    }
    sourcePool = new pg.Pool({ connectionString: source.url, max: 2 });
    targetPool = new pg.Pool({ connectionString: target.url, max: 2 });
    sourceStore = createPostgresEventStore({ pool: sourcePool });
    targetStored = createPostgresEventStore({ pool: targetPool });
    await waitForEvents(sourceStore, FIRST);
  });

  afterAll(async () => {
    await sourcePool?.end();
    await targetPool?.end();
    await source?.drop();
    await target?.drop();
  });

  const migrateCli = async (...args: string[]) =>
    JSON.parse(
      (await chat(target.url, masterKeys, 'b', 'privacy', 'migrate', '--from', source.url, '--json', ...args))
        .stdout,
    );
  const shape = (e: RecordedEvent) => ({
    id: e.id,
    stream: e.stream,
    revision: e.revision,
    type: e.type,
    metadata: e.metadata,
  });

  it('copies every event sealed, with the same ids, streams, revisions and metadata', async () => {
    expect(await markerRows(sourcePool)).toBeGreaterThan(100);
    expect(await migrateCli()).toEqual({ copied: FIRST, skipped: 0 });
    await waitForEvents(targetStored, FIRST);

    expect(await markerRows(targetPool)).toBe(0);
    const before = await readEverything(sourceStore);
    const stored = await readEverything(targetStored);
    expect(stored.map(shape)).toEqual(before.map(shape));
    expect(before.some((e) => e.revision > 0n)).toBe(true);
    const opened = await readEverything(decrypting(targetPool, targetStored, masterKeys, 'b'));
    expect(opened.map((e) => e.data)).toEqual(before.map((e) => e.data));
  });

  it('adds nothing when run again, and only what the old store got since on a later run', async () => {
    expect(await migrateCli()).toEqual({ copied: 0, skipped: FIRST });
    await appendEvents(createPostgresEventStore({ pool: sourcePool }), workload.slice(FIRST));
    await waitForEvents(sourceStore, workload.length);
    expect(await migrateCli()).toEqual({ copied: workload.length - FIRST, skipped: FIRST });
    await waitForEvents(targetStored, workload.length);
    const stored = await readEverything(targetStored);
    expect(stored.map(shape)).toEqual((await readEverything(sourceStore)).map(shape));
    expect(await markerRows(targetPool)).toBe(0);
  });

  it('rebuilds the read models from the copy, and the audit log built afterwards verifies', async () => {
    await chat(target.url, masterKeys, 'b', 'projections', 'rebuild');
    const { rows } = await targetPool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM chat_read.messages WHERE content LIKE $1',
      [`%${MARKER}%`],
    );
    expect(rows[0]!.n).toBeGreaterThan(100);

    const dir = await mkdtemp(join(tmpdir(), 'privacy-migrate-'));
    try {
      const file = join(dir, 'all.jsonl');
      await chat(target.url, masterKeys, 'b', 'audit', 'export', '--all', '--out', file);
      const key = (await chat(target.url, masterKeys, 'b', 'audit', 'key')).stdout.trim();
      const verified = await chat(target.url, masterKeys, 'b', 'audit', 'verify', file, '--key', key);
      expect(verified.stdout).toMatch(/^verified: \d+ events of /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a target holding other events, and the configured database as its own source', async () => {
    const other = randomUUID();
    await targetStored.appendToStream(
      `room-${other}`,
      [
        {
          id: other,
          type: 'Probe',
          data: {},
          metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await waitForEvents(targetStored, workload.length + 1);
    // the first event of the target's that the source lacks is named: the probe, or the record of the
    // audit CLI's read in the test before (auditor reads are events too)
    await expect(migrateCli()).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /the target store holds event \S+ \((Probe|AuditorRead), .*not in the source at all/,
      ),
    });
    await expect(
      chat(target.url, masterKeys, 'b', 'privacy', 'migrate', '--from', target.url),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('the configured database itself') });
  });

  it('refuses a source whose events are already sealed', async () => {
    const sealedSource = await createTestDatabase('privacy_cli_sealed');
    const fresh = await createTestDatabase('privacy_cli_fresh');
    const pool = new pg.Pool({ connectionString: sealedSource.url, max: 2 });
    try {
      await migrate(sealedSource.url);
      const plain = createPostgresEventStore({ pool });
      const [item] = workload;
      await decrypting(pool, plain, masterKeys, 'b').appendToStream(item!.stream, [item!.event], {
        expectedRevision: 'no_stream',
      });
      await waitForEvents(plain, 1);
      await expect(
        chat(fresh.url, masterKeys, 'b', 'privacy', 'migrate', '--from', sealedSource.url),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('already holds an encrypted field'),
      });
    } finally {
      await pool.end();
      await sealedSource.drop();
      await fresh.drop();
    }
  });

  it('skips what an earlier run copied that $all does not show yet, and appends the rest', async () => {
    // two old stores sharing their first four events: a run from the first, then one from the second
    // while a transaction older than both holds $all readers back (a stream read sees the copy at once)
    const databases = await Promise.all(['a', 'b', 'to'].map((n) => createTestDatabase(`privacy_cli_${n}`)));
    const pools = databases.map((d) => new pg.Pool({ connectionString: d.url, max: 2 }));
    const [smaller, larger, into] = pools.map((pool) => createPostgresEventStore({ pool }));
    const held = await pools[2]!.connect();
    try {
      for (const database of databases) await migrate(database.url);
      const stream = `room-${randomUUID()}`;
      const events = Array.from({ length: 6 }, (_, i) => ({
        id: randomUUID(),
        type: 'Probe',
        data: { i },
        metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
      }));
      await smaller!.appendToStream(stream, events.slice(0, 4), { expectedRevision: 'no_stream' });
      await larger!.appendToStream(stream, events, { expectedRevision: 'no_stream' });
      await waitForEvents(smaller!, 4);
      await waitForEvents(larger!, 6);
      await held.query('BEGIN');
      await held.query('SELECT pg_current_xact_id()');
      const targetSealing = decrypting(pools[2]!, into!, masterKeys, 'b');
      expect(await migratePlaintextEvents({ source: smaller!, targetStored: into!, targetSealing })).toEqual({
        copied: 4,
        skipped: 0,
      });
      expect(await into!.readAll()).toEqual([]);
      expect(await migratePlaintextEvents({ source: larger!, targetStored: into!, targetSealing })).toEqual({
        copied: 2,
        skipped: 4,
      });
      await held.query('ROLLBACK');
      expect((await into!.readStream(stream)).map((e) => [e.id, e.revision])).toEqual(
        events.map((e, i) => [e.id, BigInt(i)]),
      );
    } finally {
      await held.query('ROLLBACK');
      held.release();
      for (const pool of pools) await pool.end();
      for (const database of databases) await database.drop();
    }
  });
});
