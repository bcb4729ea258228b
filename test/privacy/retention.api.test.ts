// Retention end to end on the real app and its jobs (docs/privacy.md, "Retention"): a policy over REST, a
// history written on past days (events appended through the encrypting store with their days' keys), a
// legal hold on part of it. The dry run reports what the run then does; the run (a BullMQ job) shreds
// or deletes exactly that in the read models and the search index, destroys those days' keys and
// attachments, leaves what the hold covers, keeps the audit export verifiable, and records RetentionApplied
// once: a second run changes nothing. Released, the hold's part goes on the next run.
import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppJobs } from '../../src/app.ts';
import { exportAuditLog } from '../../src/audit/exportAuditLog.ts';
import { asStream } from '../../src/audit/fixtures/sampleLog.ts';
import { verifierKeyOf } from '../../src/audit/signedNote.ts';
import { auditSigner } from '../../src/audit/signingKey.ts';
import { verifyExport } from '../../src/audit/verifyExport.ts';
import type { ChatEvent } from '../../src/domain/events.ts';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { chatProjection } from '../../src/projections/chat/chatProjection.ts';
import { readCheckpoint, requestRebuild } from '../../src/projections/checkpoints.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';
import { appendAsOf, runRetentionJob } from './support/retentionRuns.ts';

const MARKER = `keep${randomBytes(5).toString('hex')}`;
const DAY_MS = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
/** noon, `days` ago (UTC): well inside that day whenever the test runs */
const daysAgo = (days: number) => new Date(Date.parse(`${today}T12:00:00Z`) - days * DAY_MS).toISOString();
const dayOf = (iso: string) => iso.slice(0, 10);

let t: TestApp;
let jobs: JobsHandle;
let alice: UserClient;
let bob: UserClient;
let officer: UserClient;
let group: string;
let task: string;
let lastPosition = '0';
const message: Record<string, string> = {};

async function append(event: ChatEvent, occurredAt: string) {
  lastPosition = await appendAsOf(t.app, event, occurredAt);
}

async function sendOn(name: string, roomId: string, sender: UserClient, occurredAt: string) {
  const messageId = uuidv4();
  message[name] = messageId;
  await append(
    {
      type: 'MessageSent',
      data: {
        messageId,
        roomId,
        senderId: sender.userId,
        senderUsername: sender === alice ? 'alice' : 'bob',
        messageType: 'text',
        content: `${name} ${MARKER}`,
      },
    },
    occurredAt,
  );
}

async function messagesIn(roomId: string, position = lastPosition) {
  const answer = await alice.get(`/api/chat/rooms/${roomId}/messages/?limit=100&wait_for=${position}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return new Map<string, { content: string; is_erased: boolean; is_deleted: boolean }>(
    answer.body.results.map((m: { id: string }) => [m.id, m]),
  );
}

const runThroughJob = () => runRetentionJob(officer);

async function retentionEvents(roomId: string) {
  return (await t.app.eventStore.readStream(`retention-${roomId}`)).map((event) => event.data);
}

async function liveKeys(roomId: string): Promise<{ subject_id: string; day: string }[]> {
  const { rows } = await t.app.pg.query(
    `SELECT subject_id, to_char(day, 'YYYY-MM-DD') AS day FROM privacy_data_keys
     WHERE room_id = $1 AND destroyed_at IS NULL ORDER BY day, subject_id`,
    [roomId],
  );
  return rows;
}

beforeAll(async () => {
  t = await startTestApp('privacy_retention', { RETENTION_RUN_EVERY_MS: '0' });
  jobs = startAppJobs(t.app);
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  officer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
  const created = async (body: object) => {
    const room = await alice.post('/api/chat/rooms/', { participant_ids: [bob.userId], ...body });
    expect(room.status, JSON.stringify(room.body)).toBe(201);
    return room.body.id as string;
  };
  group = await created({ name: 'Lobby', room_type: 'group' });
  task = await created({ name: 'Boiler', room_type: 'task', task: 'T-1' });

  // the group room: alice on days 100, 50 and 10 ago (the first edited 5 days ago), bob 100 days ago
  await sendOn('old', group, alice, daysAgo(100));
  await append(
    {
      type: 'MessageEdited',
      data: {
        messageId: message.old!,
        roomId: group,
        content: `old, edited ${MARKER}`,
        editedBy: alice.userId,
      },
    },
    daysAgo(5),
  );
  await sendOn('fifty', group, alice, daysAgo(50));
  await sendOn('recent', group, alice, daysAgo(10));
  await sendOn('bobOld', group, bob, daysAgo(100));
  // the task room: alice 100 and 10 days ago
  await sendOn('taskOld', task, alice, daysAgo(100));
  await sendOn('taskRecent', task, alice, daysAgo(10));
  // attachments kept on disk: alice's 50 days ago in the group, bob's 100 days ago there (held)
  for (const [id, uploader, at] of [
    [uuidv4(), alice.userId, daysAgo(50)],
    [uuidv4(), bob.userId, daysAgo(100)],
  ] as const) {
    await t.app.attachments.save(
      {
        id,
        roomId: group,
        uploaderId: uploader,
        fileName: 'lease.pdf',
        contentType: 'application/pdf',
        sizeBytes: 4,
        createdAt: at,
      },
      Buffer.from('%PDF'),
    );
  }
  const seen = await messagesIn(group);
  expect(seen.get(message.fifty!)?.content).toBe(`fifty ${MARKER}`);
}, 60_000);
afterAll(async () => {
  await jobs?.stop();
  await t?.stop();
});

describe('retention', () => {
  it('is managed by privacy officers only, and refuses a rule naming both a room and a type', async () => {
    expect((await alice.get('/api/privacy/retention/')).status).toBe(404);
    expect((await alice.put('/api/privacy/retention/', { rules: [] })).status).toBe(404);
    expect((await alice.post('/api/privacy/retention/runs/', { dry_run: true })).status).toBe(404);
    const both = await officer.put('/api/privacy/retention/', {
      rules: [{ room_id: group, room_type: 'group', days: 30, mode: 'shred' }],
    });
    expect(both).toMatchObject({ status: 422, body: { code: 'invalid_input' } });
    const twice = await officer.put('/api/privacy/retention/', {
      rules: [
        { room_type: 'group', days: 30, mode: 'shred' },
        { room_type: 'group', days: 40, mode: 'delete' },
      ],
    });
    expect(twice).toMatchObject({ status: 422, body: { code: 'invalid_input' } });
    expect((await officer.get('/api/privacy/retention/')).body).toEqual({ rules: [], revision: -1 });
  });

  it('reports in a dry run exactly what the run then does, sparing what a hold covers', async () => {
    const policy = await officer.put('/api/privacy/retention/', {
      rules: [
        { room_type: 'group', days: 30, mode: 'shred' },
        { room_type: 'task', days: 365, mode: 'shred' },
        // the task room's own rule wins over its type's
        { room_id: task, days: 60, mode: 'delete' },
      ],
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect((await officer.get('/api/privacy/retention/')).body.rules).toHaveLength(3);
    const hold = await officer.post('/api/privacy/holds/', {
      user_id: bob.userId,
      room_id: group,
      from: dayOf(daysAgo(100)),
      to: dayOf(daysAgo(100)),
    });
    expect(hold.status).toBe(201);

    const keysBefore = await liveKeys(group);
    const dry = await officer.post('/api/privacy/retention/runs/', { dry_run: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    const byRoom = Object.fromEntries(
      dry.body.rooms.map((room: { room_id: string }) => [room.room_id, room]),
    );
    expect(byRoom[group]).toEqual({
      room_id: group,
      room_type: 'group',
      mode: 'shred',
      cutoff: dayOf(daysAgo(30)),
      keys: 2, // alice's of 100 and 50 days ago
      held_keys: 1, // bob's, held
      messages: 1, // "fifty"; "old" reads its edit of 5 days ago
      attachments: 1, // alice's; bob's is held
    });
    expect(byRoom[task]).toMatchObject({ mode: 'delete', cutoff: dayOf(daysAgo(60)), keys: 1, messages: 1 });
    // a dry run changes nothing
    expect(await liveKeys(group)).toEqual(keysBefore);
    expect(await retentionEvents(group)).toEqual([]);

    const report = await runThroughJob();
    expect(report).toEqual({ ...dry.body, dry_run: false });

    const applied = await retentionEvents(group);
    expect(applied).toMatchObject([
      { roomId: group, mode: 'shred', keysDestroyed: 2, messages: 1, attachmentsDeleted: 1 },
    ]);
    const position = encodePosition(
      (await t.app.eventStore.readStream(`retention-${task}`)).at(-1)!.position,
    );
    const groupNow = await messagesIn(group, position);
    expect(groupNow.get(message.fifty!)).toMatchObject({ content: '', is_erased: true, is_deleted: false });
    expect(groupNow.get(message.old!)).toMatchObject({ content: `old, edited ${MARKER}`, is_erased: false });
    expect(groupNow.get(message.recent!)?.content).toBe(`recent ${MARKER}`);
    expect(groupNow.get(message.bobOld!)?.content).toBe(`bobOld ${MARKER}`);
    // the old message's first version, written 100 days ago, left its edit history
    const history = await alice.get(`/api/chat/messages/${message.old}/history/`);
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body).toMatchObject([{ edit_no: 1, content: '' }]);
    const taskNow = await messagesIn(task, position);
    expect(taskNow.get(message.taskOld!)).toMatchObject({ content: '', is_deleted: true });
    expect(taskNow.get(message.taskRecent!)?.content).toBe(`taskRecent ${MARKER}`);

    // the keys of those days are gone, the held one and the recent ones stay
    const keysAfter = await liveKeys(group);
    expect(keysAfter.filter((key) => key.day < dayOf(daysAgo(30)))).toEqual([
      { subject_id: bob.userId, day: dayOf(daysAgo(100)) },
    ]);
    // the store itself now reads the shredded text as erased
    const stored = await t.app.eventStore.readStream(`message-${message.fifty}`);
    expect(stored[0]!.data).toMatchObject({ content: null });
    const files = await t.app.attachments.list();
    expect(files.map((file) => file.uploaderId)).toEqual([bob.userId]);

    // the search index no longer finds what went, and still finds what stayed
    const found = await alice.get(`/api/chat/search/?q=${MARKER}&wait_for=${position}`);
    expect(found.status).toBe(200);
    const foundIds = found.body.results.map((result: { message: { id: string } }) => result.message.id);
    expect(foundIds).not.toContain(message.fifty);
    expect(foundIds).not.toContain(message.taskOld);
    expect(foundIds).toContain(message.recent);

    // the audit export still verifies, and holds no shredded text
    const signer = await auditSigner(t.app.pg, t.app.config);
    const lines: string[] = [];
    for await (const line of exportAuditLog(t.app.pg, t.app.eventStore, signer, { scope: { roomId: group } }))
      lines.push(line);
    expect(lines.join('')).not.toContain(`fifty ${MARKER}`);
    expect((await verifyExport(asStream(lines), verifierKeyOf(signer))).ok).toBe(true);
  });

  it('changes nothing when run again; the held part goes once the hold is released', async () => {
    const again = await runThroughJob();
    expect(again.rooms).toEqual([]);
    expect(await retentionEvents(group)).toHaveLength(1);

    const holds = await t.app.pg.query('SELECT hold_id FROM privacy_legal_holds WHERE released_at IS NULL');
    for (const { hold_id } of holds.rows) {
      expect((await officer.post(`/api/privacy/holds/${hold_id}/release/`)).status).toBe(200);
    }
    const released = await runThroughJob();
    expect(released.rooms).toMatchObject([{ room_id: group, keys: 1, held_keys: 0, attachments: 1 }]);
    const position = encodePosition(
      (await t.app.eventStore.readStream(`retention-${group}`)).at(-1)!.position,
    );
    const groupNow = await messagesIn(group, position);
    expect(groupNow.get(message.bobOld!)).toMatchObject({ content: '', is_erased: true });
    expect(await t.app.attachments.list()).toEqual([]);
  });

  it('leaves the same read model after a rebuild from the store', async () => {
    const rows = async () =>
      (
        await t.app.pg.query(
          `SELECT m.id, m.content, m.is_erased, m.is_deleted, m.attachment,
             coalesce((SELECT json_agg(e.content ORDER BY e.edit_no) FROM chat_read.message_edits e
                       WHERE e.message_id = m.id), '[]') AS edits
           FROM chat_read.messages m WHERE m.room_id = ANY($1) ORDER BY m.id`,
          [[group, task]],
        )
      ).rows;
    const live = await rows();
    expect(await requestRebuild(t.app.pg, chatProjection)).toBe(true);
    for (let waited = 0; (await readCheckpoint(t.app.pg, 'chat:rebuild')) !== null; waited += 100) {
      if (waited > 30_000) throw new Error('the rebuild did not swap in');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await rows()).toEqual(live);
  });
});
