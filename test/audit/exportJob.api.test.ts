// POST /api/audit/exports/ end to end: the request queues a BullMQ job, the job streams the export to a
// file and reports progress, the download streams it back, and the offline verifier accepts it with the
// log's key. Other roles get 404 on the export paths like on every audit path.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startAppJobs } from '../../src/app.ts';
import { verifierKeyOf } from '../../src/audit/signedNote.ts';
import { auditSigner } from '../../src/audit/signingKey.ts';
import { verifyExport } from '../../src/audit/verifyExport.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { authFor, startTestApp, type TestApp } from '../api/support/testApp.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let t: TestApp;
let jobs: JobsHandle;
let dir: string;
let alice: UserClient;
let moderator: UserClient;
let auditor: UserClient;
let roomId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-exports-'));
  t = await startTestApp('audit_export_job', { AUDIT_EXPORTS_DIR: dir });
  const { app } = t;
  jobs = startAppJobs(app);
  alice = await clientFor(app, uuidv4(), { username: 'alice' });
  moderator = await clientFor(app, uuidv4(), { username: 'mod', roles: ['moderator'] });
  auditor = await clientFor(app, uuidv4(), { username: 'auditor', roles: ['auditor'] });
  const room = await alice.post('/api/chat/rooms/', { name: 'Exported', room_type: 'group' });
  roomId = room.body.id;
  for (let i = 0; i < 20; i++)
    await alice.post(`/api/chat/rooms/${roomId}/messages/`, { content: `line ${i}` });
  // an export covers what the store shows, which waits for every older transaction of the cluster (on a
  // loaded machine other tests' transactions can run for a minute)
  for (let attempt = 0; attempt < 1_500; attempt++) {
    if ((await app.eventStore.readAll({ filter: { roomId } })).length >= 21) break;
    await sleep(100);
  }
});
afterAll(async () => {
  await jobs?.stop();
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('hides the export paths from every other role', async () => {
  for (const user of [alice, moderator]) {
    expect((await user.post('/api/audit/exports/', { room_id: roomId })).status).toBe(404);
    expect((await user.get(`/api/audit/exports/${uuidv4()}/`)).status).toBe(404);
    expect((await user.get(`/api/audit/exports/${uuidv4()}/file/`)).status).toBe(404);
  }
});

it('refuses an export of no room, or of a room that does not exist', async () => {
  expect((await auditor.post('/api/audit/exports/', {})).status).toBe(400);
  expect((await auditor.post('/api/audit/exports/', { room_id: roomId, all: true })).status).toBe(400);
  expect((await auditor.post('/api/audit/exports/', { room_id: uuidv4() })).status).toBe(404);
});

it('runs the export as a job, reports it done, and streams a file that verifies', async () => {
  const asked = await auditor.post('/api/audit/exports/', { room_id: roomId });
  expect(asked).toMatchObject({ status: 202, body: { state: 'queued', room_id: roomId, download: null } });
  expect((await auditor.get(`/api/audit/exports/${asked.body.id}/file/`)).status).toBe(404);

  let status = asked;
  for (let attempt = 0; attempt < 600 && !['done', 'failed'].includes(status.body.state); attempt++) {
    await sleep(100);
    status = await auditor.get(`/api/audit/exports/${asked.body.id}/`);
  }
  expect(status.body).toMatchObject({ state: 'done', error: null });
  // the room's creation and 20 messages, and the auditor's request for the export (recorded in the room)
  // once the store shows it
  const total = status.body.events_total;
  expect(total).toBeGreaterThanOrEqual(21);
  expect(status.body.events_written).toBe(total);

  const download = await t.app.inject({
    method: 'GET',
    url: status.body.download,
    headers: await authFor(auditor.userId, { roles: ['auditor'] }),
  });
  expect(download.statusCode).toBe(200);
  expect(download.headers['content-type']).toBe('application/x-ndjson');
  const key = verifierKeyOf(await auditSigner(t.app.pg, t.app.config));
  const verified = await verifyExport(Readable.from([download.body]), key);
  expect(verified).toMatchObject({ ok: true, export: { events: total, rooms: [{ roomId, events: total }] } });
  for (let i = 0; i < 20; i++) expect(download.body).toContain(`"line ${i}"`);
});
