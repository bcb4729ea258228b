// One user's activity over a whole store: the store filters by actor, so a person who acted before and
// after tens of thousands of other events gets all of it in one page, not empty pages and a cursor.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// more than one request's scan budget (20,000 events) of other people's events
const OTHERS = 25_000;

let t: TestApp;
let alice: UserClient;
let auditor: UserClient;

beforeAll(async () => {
  t = await startTestApp('audit_activity');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  auditor = await clientFor(t.app, uuidv4(), { username: 'auditor', roles: ['auditor'] });
});
afterAll(async () => t?.stop());

describe('a user’s activity', () => {
  it('is answered over the whole store: what the user did before and after many others’ events', async () => {
    const room = await alice.post('/api/chat/rooms/', { name: 'Flat 9', room_type: 'group' });
    await alice.post(`/api/chat/rooms/${room.body.id}/messages/`, { content: 'before' });
    // others' events, straight into the store (the API would take minutes for as many)
    await t.app.pg.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
       SELECT 'blocks-other-' || g, 0, gen_random_uuid(), 'UserBlocked',
              jsonb_build_object('userId', 'other-' || g, 'blockedUserId', 'someone'),
              jsonb_build_object('actorId', 'other-' || g, 'occurredAt', now()::text, 'schemaVersion', 1)
       FROM generate_series(1, $1::int) AS g`,
      [OTHERS],
    );
    const after = await alice.post(`/api/chat/rooms/${room.body.id}/messages/`, { content: 'after' });

    // the store shows events once no transaction older than them is open, on a shared server a moment later
    await vi.waitFor(
      async () => {
        const page = await auditor.get(`/api/audit/users/${alice.userId}/activity/?limit=1000`);
        expect(page.status).toBe(200);
        const sent = page.body.results.filter((e: { type: string }) => e.type === 'MessageSent');
        expect(sent.map((e: { data: { content: string } }) => e.data.content)).toEqual(['before', 'after']);
        expect(sent[1].data.messageId).toBe(after.body.id);
        expect(page.body.results.every((e: { actor_id: string }) => e.actor_id === alice.userId)).toBe(true);
        // one page: the end of the store, not a cursor to scan on from
        expect(page.body.next).toBeNull();
      },
      { timeout: 60_000, interval: 1_000 },
    );
  });
});
