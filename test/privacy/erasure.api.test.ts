// An erasure end to end on the real app, its jobs running: a marker planted in a person's messages, edits,
// display name, attachment (name and bytes) is, after POST /api/privacy/erasures/, in no table of any
// schema (the read models, the search index, safety, audit, keys), no event row, no Redis key or value of
// this test (BullMQ's jobs among them), no file of the attachments directory, no fresh audit export (read
// in the test, and asked over REST: the job's file), while that export still verifies, consistent with one
// taken before the erasure. Others' messages stay. No log line, at any level, ever held the message text.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAppJobs } from '../../src/app.ts';
import { exportAuditLog } from '../../src/audit/exportAuditLog.ts';
import { asStream } from '../../src/audit/fixtures/sampleLog.ts';
import { type NoteSigner, verifierKeyOf } from '../../src/audit/signedNote.ts';
import { auditSigner } from '../../src/audit/signingKey.ts';
import { verifyExportConsistency } from '../../src/audit/verifyConsistency.ts';
import { verifyExport } from '../../src/audit/verifyExport.ts';
import { encodePosition, type RecordedEvent } from '../../src/eventstore/eventStore.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { multipartFile } from '../api/support/multipart.ts';
import { authFor, startTestApp, type TestApp } from '../api/support/testApp.ts';

const MARKER = `plant${randomBytes(6).toString('hex')}`;
// a PDF the upload accepts, with the marker in its bytes
const PDF = Buffer.from(`%PDF-1.4\n% ${MARKER}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n`);

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let t: TestApp;
let jobs: JobsHandle;
let exportsDir: string;
/** every log line the app wrote, at every level */
let logs = '';
let alice: UserClient;
let bob: UserClient;
let officer: UserClient;
let roomId: string;
/** alice's first message, whose text (and edit) holds the marker */
let firstId: string;

const allEvents = (): Promise<RecordedEvent[]> => t.app.eventStore.readAll({ limit: 10_000 });

beforeAll(async () => {
  exportsDir = await mkdtemp(join(tmpdir(), 'erasure-exports-'));
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  t = await startTestApp(
    'privacy_erasure',
    { LOG_LEVEL: 'trace', AUDIT_EXPORTS_DIR: exportsDir },
    { logger: { stream } },
  );
  jobs = startAppJobs(t.app);
  alice = await clientFor(t.app, uuidv4(), { username: `alice ${MARKER}` });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  officer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
  const room = await alice.post('/api/chat/rooms/', {
    name: 'Flat 3',
    room_type: 'group',
    participant_ids: [bob.userId],
  });
  expect(room.status, JSON.stringify(room.body)).toBe(201);
  roomId = room.body.id;
  const first = await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: `the code is ${MARKER}` });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  firstId = first.body.id;
  const edited = await alice.patch(`/api/chat/messages/${first.body.id}/`, {
    content: `edited: still ${MARKER}`,
  });
  expect(edited.status).toBe(200);
  const upload = multipartFile(`${MARKER}.pdf`, 'application/pdf', PDF);
  const uploaded = await t.app.inject({
    method: 'POST',
    url: `/api/chat/rooms/${roomId}/attachments/`,
    payload: upload.payload,
    headers: { ...upload.headers, ...(await authFor(alice.userId)) },
  });
  expect(uploaded.statusCode, uploaded.body).toBe(201);
  const withFile = await alice.post(`/api/chat/rooms/${roomId}/messages/`, {
    content: `lease ${MARKER}`,
    attachment_id: uploaded.json().id,
  });
  expect(withFile.status, JSON.stringify(withFile.body)).toBe(201);
  const last = await bob.post(`/api/chat/rooms/${roomId}/messages/`, { content: 'bob keeps this' });
  expect(last.status).toBe(201);
  const read = await bob.get(`/api/chat/rooms/${roomId}/messages/?wait_for=${last.body.position}`);
  expect(JSON.stringify(read.body)).toContain(MARKER);
});
afterAll(async () => {
  await jobs?.stop();
  await t?.stop();
  if (exportsDir) await rm(exportsDir, { recursive: true, force: true });
});

const headPosition = async () => encodePosition((await t.app.eventStore.headPosition())!);

async function roomExport(signer: NoteSigner): Promise<string[]> {
  const lines: string[] = [];
  // the export comes in pieces of whole lines
  for await (const piece of exportAuditLog(t.app.pg, t.app.eventStore, signer, { scope: { roomId } })) {
    lines.push(...piece.split(/(?<=\n)/));
  }
  return lines;
}

async function databaseHits(): Promise<string[]> {
  const { rows: tables } = await t.app.pg.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['events', 'messages', 'users']));
  // every schema the app writes: the event store, keys, audit log and jobs (public), and each read model
  expect(new Set(tables.map((table) => table.schema))).toEqual(
    new Set(['public', 'chat_read', 'safety_read', 'search_read']),
  );
  const hex = Buffer.from(MARKER).toString('hex');
  const hits: string[] = [];
  for (const { schema, name } of tables) {
    const { rows } = await t.app.pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}"."${name}" t WHERE t::text LIKE $1 OR t::text LIKE $2`,
      [`%${MARKER}%`, `%${hex}%`],
    );
    if (rows[0]!.n > 0) hits.push(`${schema}.${name}: ${rows[0]!.n}`);
  }
  return hits;
}

async function redisHits(): Promise<string[]> {
  const redis = new Redis(t.app.config.REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${t.app.config.REDIS_PREFIX}*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    // BullMQ's queues are among them: what the jobs keep is checked too
    expect(keys.some((key) => key.startsWith(`${t.app.config.REDIS_PREFIX}bull:`))).toBe(true);
    const hits: string[] = [];
    for (const key of keys) {
      const dump = await redis.dumpBuffer(key);
      if (key.includes(MARKER) || dump?.includes(MARKER)) hits.push(key);
    }
    return hits;
  } finally {
    redis.disconnect();
  }
}

async function fileHits(directory: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.includes(MARKER) || (await readFile(path)).includes(MARKER)) hits.push(path);
  }
  return hits;
}

/** an export of the room asked over REST: the audit export job writes it to AUDIT_EXPORTS_DIR */
async function exportThroughJob(): Promise<string> {
  const auditor = await clientFor(t.app, uuidv4(), { roles: ['auditor'] });
  const asked = await auditor.post('/api/audit/exports/', { room_id: roomId });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  let status = asked;
  for (let attempt = 0; attempt < 1_200 && !['done', 'failed'].includes(status.body.state); attempt++) {
    await sleep(100);
    status = await auditor.get(`/api/audit/exports/${asked.body.id}/`);
  }
  expect(status.body).toMatchObject({ state: 'done', error: null });
  const download = await t.app.inject({
    method: 'GET',
    url: status.body.download,
    headers: await authFor(auditor.userId, { roles: ['auditor'] }),
  });
  expect(download.statusCode).toBe(200);
  return download.body;
}

describe('erasure', () => {
  it('is not there for anyone but ops and privacy officers', async () => {
    for (const user of [alice, bob]) {
      const answer = await user.post('/api/privacy/erasures/', { user_id: alice.userId });
      expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
    }
  });

  it('leaves no plaintext copy anywhere, and the audit export still verifies', async () => {
    // the audit log and an export of the room taken before the erasure reveal the text
    const signer = await auditSigner(t.app.pg, t.app.config);
    const exportBefore = await roomExport(signer);
    expect(exportBefore.join('')).toContain(MARKER);

    // the greps find the marker where it is before: the read models and the file
    expect(await databaseHits()).toEqual(
      expect.arrayContaining(
        ['messages', 'message_edits', 'users'].map((table) => expect.stringMatching(`^chat_read.${table}:`)),
      ),
    );
    expect(await fileHits(t.app.config.ATTACHMENTS_DIR)).toHaveLength(2); // bytes and facts
    const searchFor = async (position: string) =>
      bob.get(`/api/chat/search/?q=${encodeURIComponent(MARKER)}&wait_for=${position}`);
    const foundBefore = await searchFor(await headPosition());
    expect(foundBefore.status).toBe(200);
    expect(JSON.stringify(foundBefore.body)).toContain(firstId);

    const erased = await officer.post('/api/privacy/erasures/', { user_id: alice.userId });
    expect(erased).toMatchObject({
      status: 201,
      body: { user_id: alice.userId, attachments_deleted: 1 },
    });
    expect(erased.body.keys_destroyed).toBeGreaterThanOrEqual(1);

    const read = await bob.get(`/api/chat/rooms/${roomId}/messages/?wait_for=${erased.body.position}`);
    expect(read.status).toBe(200);
    const messages = read.body.results as { content: string; is_erased: boolean; sender: { id: string } }[];
    const alices = messages.filter((m) => m.sender.id === alice.userId);
    expect(alices).toHaveLength(2);
    for (const message of alices) expect(message).toMatchObject({ content: '', is_erased: true });
    expect(messages.find((m) => m.sender.id === bob.userId)).toMatchObject({
      content: 'bob keeps this',
      is_erased: false,
    });
    expect(JSON.stringify(read.body)).not.toContain(MARKER);
    // the search index finds nothing of hers by the text any more
    const foundAfter = await searchFor(erased.body.position);
    expect(foundAfter.status).toBe(200);
    expect(JSON.stringify(foundAfter.body)).not.toContain(firstId);
    expect(JSON.stringify(foundAfter.body)).not.toContain(MARKER);
    const participants = await bob.get(`/api/chat/rooms/${roomId}/`);
    expect(JSON.stringify(participants.body)).not.toContain(MARKER);

    expect(await databaseHits()).toEqual([]);
    expect(JSON.stringify((await allEvents()).map((e) => e.data))).not.toContain(MARKER);
    expect(await redisHits()).toEqual([]);
    expect(await fileHits(t.app.config.ATTACHMENTS_DIR)).toEqual([]);

    // an export asked over REST afterwards: the job's file holds none of it and verifies; the job's data
    // and state in Redis hold none of it either
    const exported = await exportThroughJob();
    expect(exported).not.toContain(MARKER);
    expect(await fileHits(exportsDir)).toEqual([]);
    expect((await verifyExport(Readable.from([exported]), verifierKeyOf(signer))).ok).toBe(true);
    expect(await redisHits()).toEqual([]);

    // a fresh export: no text of hers, her events' secrets gone, and it verifies, as one history with the
    // export taken before
    const exportAfter = await roomExport(signer);
    expect(exportAfter.join('')).not.toContain(MARKER);
    const verified = await verifyExport(asStream(exportAfter), verifierKeyOf(signer));
    expect(verified.ok).toBe(true);
    const consistent = await verifyExportConsistency(
      asStream(exportBefore),
      asStream(exportAfter),
      verifierKeyOf(signer),
    );
    expect(consistent.ok).toBe(true);
    const events = exportAfter.map((line) => JSON.parse(line)).filter((line) => line.t === 'event');
    const hers = events.filter((line) => line.leaf.event.metadata.actorId === alice.userId);
    expect(hers.length).toBeGreaterThanOrEqual(4); // the room, two sends, the edit
    for (const line of hers) expect(line.salts).toEqual({});
    // her fields are committed in the leaf, and no text of them is revealed
    for (const line of hers) expect(line.texts).toEqual({});
    expect(hers.flatMap((line) => Object.keys(line.leaf.commitments))).toEqual(
      expect.arrayContaining(['data.content', 'data.attachment.fileName', 'data.senderUsername']),
    );
    const bobs = events.find(
      (line) => line.leaf.event.type === 'MessageSent' && line.leaf.event.metadata.actorId === bob.userId,
    );
    expect(bobs.texts['data.content']).toBe('bob keeps this');
  });

  it('never wrote the message text, the file name or the display name to a log line', async () => {
    // the greps above read the logs of every request, projection and job of this file
    expect(logs).toContain('request completed');
    expect(logs).not.toContain(MARKER);
  });

  it('records the erasure as an event without personal data', async () => {
    const erasures = (await allEvents()).filter((e) => e.type === 'SubjectErased');
    expect(erasures).toHaveLength(1);
    expect(erasures[0]!.data).toMatchObject({ subjectId: alice.userId, requestedBy: officer.userId });
    expect(erasures[0]!.metadata.actorId).toBe(officer.userId);
  });
});
