// The encrypting event store on the real PostgreSQL store and key table: nothing personal is stored in
// clear, every reader gets the text back, a master key rotation keeps all of it readable, and a
// destroyed key reads as the tombstone (null) for its subject only.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/eventstore/eventStore.ts';
import { EventNotStorable } from '../../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { createEncryptingEventStore, UnknownDataKey } from '../../src/privacy/encryptingEventStore.ts';
import { createLocalKeyWrapper, UnknownMasterKey } from '../../src/privacy/keyWrapper.ts';
import { createPostgresKeyStore } from '../../src/privacy/postgresKeyStore.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let pool: pg.Pool;
let plain: EventStore;
const masterA = randomBytes(32);
const masterB = randomBytes(32);

const MARKER = `marker-${randomBytes(6).toString('hex')}`;
const roomId = uuidv4();
const [ada, bo] = [uuidv4(), uuidv4()];

function storeWith(keys: [string, Buffer][], current: string): EventStore {
  const wrapper = createLocalKeyWrapper(new Map(keys), current);
  return createEncryptingEventStore(plain, {
    keyStore: createPostgresKeyStore({ pool, wrapper }),
    encryptOnAppend: true,
  });
}

function event(type: string, data: unknown, occurredAt = new Date().toISOString()): EventToAppend {
  return { id: randomUUID(), type, data, metadata: { roomId, occurredAt, schemaVersion: 1 } };
}

const contents = (events: RecordedEvent[]) =>
  events.filter((e) => e.type === 'MessageSent').map((e) => (e.data as { content: string | null }).content);

beforeAll(async () => {
  database = await createTestDatabase('privacy_encryption');
  await migrate(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  plain = createPostgresEventStore({ pool });
  const store = storeWith([['a', masterA]], 'a');
  await store.appendToStream(
    `room-${roomId}`,
    [
      event('RoomCreated', {
        roomId,
        name: 'Flat 3',
        roomType: 'group',
        createdBy: ada,
        participants: [
          { userId: ada, username: `ada ${MARKER}`, isAdmin: true },
          { userId: bo, username: `bo ${MARKER}`, isAdmin: false },
        ],
        settings: {},
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  const send = (senderId: string, content: string, occurredAt?: string) => {
    const messageId = uuidv4();
    return store.appendToStream(
      `message-${messageId}`,
      [
        event(
          'MessageSent',
          {
            messageId,
            roomId,
            senderId,
            senderUsername: `name ${MARKER}`,
            messageType: 'file',
            content,
            attachment: {
              id: uuidv4(),
              fileName: `${MARKER}.pdf`,
              contentType: 'application/pdf',
              sizeBytes: 9,
            },
          },
          occurredAt,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
  };
  await send(ada, `ada says ${MARKER}`, '2026-11-30T10:00:00.000Z');
  await send(ada, `ada again ${MARKER}`);
  await send(bo, `bo says ${MARKER}`);
  // readers see an event once every older transaction in the cluster has ended (docs/eventstore.md)
  while ((await plain.readAll({ limit: 100 })).length < 4) await sleep(50);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('the encrypting event store', () => {
  it('stores no personal text in clear: the marker is in no event row', async () => {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1`,
      [`%${MARKER}%`],
    );
    expect(rows[0].n).toBe(0);
    const raw = await plain.readAll({ limit: 100 });
    expect(raw.filter((e) => e.type === 'MessageSent')).toHaveLength(3);
    expect(JSON.stringify(raw.map((e) => e.data))).not.toContain(MARKER);
  });

  it('keeps one data key per subject, room and day', async () => {
    const { rows } = await pool.query(
      'SELECT subject_id, to_char(day, $1) AS day FROM privacy_data_keys ORDER BY subject_id, day',
      ['YYYY-MM-DD'],
    );
    const today = new Date().toISOString().slice(0, 10);
    expect(rows).toEqual(
      [
        { subject_id: ada, day: '2026-11-30' },
        { subject_id: ada, day: today },
        { subject_id: bo, day: today },
      ].sort((x, y) => (x.subject_id + x.day < y.subject_id + y.day ? -1 : 1)),
    );
  });

  it('gives every reader the text: streams, $all and subscriptions', async () => {
    const store = storeWith([['a', masterA]], 'a');
    const all = await store.readAll({ limit: 100 });
    expect(contents(all).sort()).toEqual([`ada again ${MARKER}`, `ada says ${MARKER}`, `bo says ${MARKER}`]);
    const created = (await store.readStream(`room-${roomId}`))[0]!;
    expect(
      (created.data as { participants: { username: string }[] }).participants.map((p) => p.username),
    ).toEqual([`ada ${MARKER}`, `bo ${MARKER}`]);
    const subscription = store.subscribeToAll({ batchSize: 100 });
    const first = await subscription[Symbol.asyncIterator]().next();
    await subscription.close();
    expect(contents(first.value as RecordedEvent[])).toHaveLength(3);
    const sent = all.find((e) => e.type === 'MessageSent')!.data as { attachment: { fileName: string } };
    expect(sent.attachment.fileName).toBe(`${MARKER}.pdf`);
  });

  it('reads a page with more keys than its cache holds', async () => {
    // a cache of one key: fetching the page's others evicts the one it had (a rebuild of a big store
    // reads pages of 5,000 events under more keys than the default cache of 10,000 once keys outnumber it)
    const store = createEncryptingEventStore(plain, {
      keyStore: createPostgresKeyStore({
        pool,
        wrapper: createLocalKeyWrapper(new Map([['a', masterA]]), 'a'),
      }),
      encryptOnAppend: true,
      maxCachedKeys: 1,
    });
    const [first] = (await plain.readAll({ limit: 100 })).filter((e) => e.type === 'MessageSent');
    expect(contents(await store.readStream(first!.stream))).toHaveLength(1);
    expect(contents(await store.readAll({ limit: 100 })).sort()).toEqual([
      `ada again ${MARKER}`,
      `ada says ${MARKER}`,
      `bo says ${MARKER}`,
    ]);
  });

  it('keeps every message readable through a master key rotation, after the old key is gone', async () => {
    const rotating = createPostgresKeyStore({
      pool,
      wrapper: createLocalKeyWrapper(
        new Map([
          ['a', masterA],
          ['b', masterB],
        ]),
        'b',
      ),
    });
    expect(await rotating.rewrapAll()).toBe(3);
    expect(await rotating.rewrapAll()).toBe(0);
    const { rows } = await pool.query('SELECT DISTINCT master_key_id FROM privacy_data_keys');
    expect(rows).toEqual([{ master_key_id: 'b' }]);

    const afterRotation = storeWith([['b', masterB]], 'b');
    expect(contents(await afterRotation.readAll({ limit: 100 })).sort()).toEqual([
      `ada again ${MARKER}`,
      `ada says ${MARKER}`,
      `bo says ${MARKER}`,
    ]);
    // a key store that only knows the retired master key cannot open anything: an error, not a tombstone
    await expect(storeWith([['a', masterA]], 'a').readAll({ limit: 100 })).rejects.toThrow(UnknownMasterKey);
  });

  it("reads a destroyed key's fields as null, and only that subject's on that day", async () => {
    const keyStore = createPostgresKeyStore({
      pool,
      wrapper: createLocalKeyWrapper(new Map([['b', masterB]]), 'b'),
    });
    const destroyed = await keyStore.destroy({ subjectId: ada, before: '2026-12-01' });
    expect(destroyed.map((k) => k.day)).toEqual(['2026-11-30']);

    const store = storeWith([['b', masterB]], 'b');
    const all = await store.readAll({ limit: 100 });
    expect(contents(all).sort((x, y) => String(x).localeCompare(String(y)))).toEqual([
      `ada again ${MARKER}`,
      `bo says ${MARKER}`,
      null,
    ]);
    const erased = all.find(
      (e) => e.type === 'MessageSent' && (e.data as { content: unknown }).content === null,
    )!;
    expect(erased.data).toMatchObject({ senderUsername: null, attachment: { fileName: null, sizeBytes: 9 } });
  });

  it('keeps the text a subscription opened for the next reader only until its keys are forgotten', async () => {
    const keyStore = createPostgresKeyStore({
      pool,
      wrapper: createLocalKeyWrapper(new Map([['b', masterB]]), 'b'),
    });
    const store = createEncryptingEventStore(plain, { keyStore, encryptOnAppend: true });
    // as the projector's read models read: a subscription each
    const firstBatch = async () => {
      const subscription = store.subscribeToAll({ batchSize: 100 });
      const batch = await subscription[Symbol.asyncIterator]().next();
      await subscription.close();
      return batch.value as RecordedEvent[];
    };
    const bosMessage = (events: RecordedEvent[]) =>
      events.find((e) => e.type === 'MessageSent' && (e.data as { senderId: string }).senderId === bo)!
        .data as { content: string | null };
    // each reader gets its own copy: what one changes, the next does not see
    bosMessage(await firstBatch()).content = 'changed by a reader';
    expect(bosMessage(await firstBatch()).content).toBe(`bo says ${MARKER}`);

    await keyStore.destroy({ subjectId: bo, before: '2100-01-01' });
    store.forgetCachedKeys();
    const afterForget = await firstBatch();
    expect(bosMessage(afterForget).content).toBeNull();
    expect(contents(afterForget)).toContain(`ada again ${MARKER}`);
    expect(bosMessage(await store.readAll({ limit: 100 })).content).toBeNull();
  });

  it('refuses what the store could not hold in clear, though its ciphertext would fit', async () => {
    const messageId = uuidv4();
    const data = { messageId, roomId, senderId: ada, messageType: 'text', content: 'nul \u0000 here' };
    await expect(
      storeWith([['b', masterB]], 'b').appendToStream(`message-${messageId}`, [event('MessageSent', data)], {
        expectedRevision: 'no_stream',
      }),
    ).rejects.toThrow(EventNotStorable);
    const lone = { ...data, messageId: uuidv4(), content: 'fine', senderUsername: 'half \ud83d a pair' };
    await expect(
      storeWith([['b', masterB]], 'b').appendToStream(
        `message-${lone.messageId}`,
        [event('MessageSent', lone)],
        { expectedRevision: 'no_stream' },
      ),
    ).rejects.toThrow(/lone surrogate \(U\+D83D\)/);
  });

  it('refuses to read an envelope whose key the key store never had', async () => {
    await pool.query('DELETE FROM privacy_data_keys WHERE subject_id = $1', [bo]);
    await expect(storeWith([['b', masterB]], 'b').readAll({ limit: 100 })).rejects.toThrow(UnknownDataKey);
  });
});
