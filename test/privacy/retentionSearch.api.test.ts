// Retention and the search index (docs/privacy.md, "Retention"): a message sent before the cutoff leaves
// the index even when it was edited since (its current text is then readable in the room, not findable),
// and nothing brings it back: not an edit after the run, not a moderator restoring it after it was hidden
// at the time of the run, not a rebuild of the index from the store.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppJobs } from '../../src/app.ts';
import type { ChatEvent } from '../../src/domain/events.ts';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import type { JobsHandle } from '../../src/jobs/startJobs.ts';
import { readCheckpoint, requestRebuild } from '../../src/projections/checkpoints.ts';
import { searchProjection } from '../../src/projections/search/searchProjection.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';
import { appendAsOf, runRetentionJob } from './support/retentionRuns.ts';

const MARKER = `find${randomBytes(5).toString('hex')}`;
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

let t: TestApp;
let jobs: JobsHandle;
let alice: UserClient;
let moderator: UserClient;
let officer: UserClient;
let roomId: string;
let lastPosition = '0';
const message: Record<string, string> = {};

async function append(event: ChatEvent, occurredAt: string) {
  lastPosition = await appendAsOf(t.app, event, occurredAt);
}

/** sent `sentDaysAgo`, edited `editedDaysAgo` (both texts hold the marker) */
async function sentAndEdited(name: string, sentDaysAgo: number, editedDaysAgo: number) {
  const messageId = uuidv4();
  message[name] = messageId;
  const data = { messageId, roomId, senderId: alice.userId, senderUsername: 'alice' };
  await append(
    { type: 'MessageSent', data: { ...data, messageType: 'text', content: `${name} ${MARKER}` } },
    daysAgo(sentDaysAgo),
  );
  await append(
    {
      type: 'MessageEdited',
      data: { messageId, roomId, content: `${name}, edited ${MARKER}`, editedBy: alice.userId },
    },
    daysAgo(editedDaysAgo),
  );
}

/** the names of the messages a search for the marker finds, once the index has `position` */
async function found(position = lastPosition): Promise<string[]> {
  const answer = await alice.get(`/api/chat/search/?q=${MARKER}&wait_for=${position}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const ids: string[] = answer.body.results.map((result: { message: { id: string } }) => result.message.id);
  return Object.keys(message)
    .filter((name) => ids.includes(message[name]!))
    .sort();
}

beforeAll(async () => {
  t = await startTestApp('privacy_retention_search', { RETENTION_RUN_EVERY_MS: '0' });
  jobs = startAppJobs(t.app);
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  moderator = await clientFor(t.app, uuidv4(), { roles: ['moderator'] });
  officer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
  const room = await alice.post('/api/chat/rooms/', { name: 'Archive', room_type: 'group' });
  expect(room.status, JSON.stringify(room.body)).toBe(201);
  roomId = room.body.id;
  // sent 100 days ago and edited 5 days ago: "edited" stays so; "hidden" is hidden at the run
  await sentAndEdited('edited', 100, 5);
  await sentAndEdited('hidden', 100, 5);
  await sentAndEdited('recent', 10, 5);
  expect(await found()).toEqual(['edited', 'hidden', 'recent']);
  const hidden = await moderator.post(`/api/chat/moderation/messages/${message.hidden}/hide/`, {
    reason: 'off topic',
  });
  expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
  lastPosition = hidden.body.position;
  expect(await found()).toEqual(['edited', 'recent']);

  const policy = await officer.put('/api/privacy/retention/', {
    rules: [{ room_id: roomId, days: 30, mode: 'shred' }],
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(200);
  await runRetentionJob(officer);
  const [applied] = await t.app.eventStore.readStream(`retention-${roomId}`);
  expect(applied?.type).toBe('RetentionApplied');
  lastPosition = encodePosition(applied!.position);
}, 60_000);
afterAll(async () => {
  await jobs?.stop();
  await t?.stop();
});

describe('a message sent before the retention cutoff and edited since', () => {
  it('leaves the search index, though its edit stays readable in the room', async () => {
    expect(await found()).toEqual(['recent']);
    const page = await alice.get(`/api/chat/rooms/${roomId}/messages/?limit=10&wait_for=${lastPosition}`);
    const shown = page.body.results.find((m: { id: string }) => m.id === message.edited);
    expect(shown).toMatchObject({ content: `edited, edited ${MARKER}` });
  });

  it('is not indexed again by a later edit', async () => {
    const edited = await alice.patch(`/api/chat/messages/${message.edited}/`, {
      content: `edited again ${MARKER}`,
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(await found(edited.body.position)).toEqual(['recent']);
  });

  it('is not indexed again when a moderator restores it', async () => {
    const restored = await moderator.post(`/api/chat/moderation/messages/${message.hidden}/restore/`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    lastPosition = restored.body.position;
    expect(await found()).toEqual(['recent']);
  });

  it('stays out after the index is rebuilt from the store', async () => {
    expect(await requestRebuild(t.app.pg, searchProjection)).toBe(true);
    for (let waited = 0; (await readCheckpoint(t.app.pg, 'search:rebuild')) !== null; waited += 100) {
      if (waited > 30_000) throw new Error('the rebuild did not swap in');
      await sleep(100);
    }
    expect(await found()).toEqual(['recent']);
  });
});
