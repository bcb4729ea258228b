// Legal holds on the real app: an erasure of what a hold covers is queued (nothing is destroyed, the text
// still reads), a hold that covers none of the person's data does not stop one, and releasing the hold
// runs the queued erasure; every hold, release and erasure is an event, and a leaf of the audit log.
import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceAuditLog } from '../../src/audit/postgresAuditLog.ts';
import { clientFor, type UserClient } from '../api/support/client.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';

const MARKER = `held${randomBytes(6).toString('hex')}`;

let t: TestApp;
let alice: UserClient;
let carol: UserClient;
let bob: UserClient;
let officer: UserClient;
let roomId: string;

beforeAll(async () => {
  t = await startTestApp('privacy_hold');
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  carol = await clientFor(t.app, uuidv4(), { username: 'carol' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  officer = await clientFor(t.app, uuidv4(), { roles: ['privacy_officer'] });
  const room = await bob.post('/api/chat/rooms/', {
    name: 'Claim 7',
    room_type: 'group',
    participant_ids: [alice.userId, carol.userId],
  });
  expect(room.status, JSON.stringify(room.body)).toBe(201);
  roomId = room.body.id;
  for (const user of [alice, carol]) {
    const sent = await user.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: `${user.userId} ${MARKER}`,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
  }
});
afterAll(async () => t?.stop());

const contentOf = async (user: UserClient, position: string) => {
  const read = await bob.get(`/api/chat/rooms/${roomId}/messages/?wait_for=${position}`);
  expect(read.status).toBe(200);
  return (read.body.results as { content: string; sender: { id: string } }[]).find(
    (m) => m.sender.id === user.userId,
  )!.content;
};

const eventsOf = (prefix: string) =>
  t.app.eventStore.readAll({ limit: 10_000, filter: { streamPrefixes: [prefix] } });
const eventTypes = async (prefix: string) => (await eventsOf(prefix)).map((e) => e.type);

describe('legal hold', () => {
  it('is not there for anyone but ops and privacy officers', async () => {
    expect((await bob.post('/api/privacy/holds/', { user_id: alice.userId })).status).toBe(404);
    expect((await bob.post(`/api/privacy/holds/${uuidv4()}/release/`)).status).toBe(404);
  });

  it('names something, and a range that does not end before it starts', async () => {
    expect((await officer.post('/api/privacy/holds/', {})).status).toBe(400);
    const backwards = await officer.post('/api/privacy/holds/', { from: '2026-05-02', to: '2026-05-01' });
    expect(backwards).toMatchObject({ status: 422, body: { code: 'invalid_input' } });
  });

  it('queues an erasure of what it covers and runs it on release', async () => {
    const hold = await officer.post('/api/privacy/holds/', { user_id: alice.userId, room_id: roomId });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);

    const queued = await officer.post('/api/privacy/erasures/', { user_id: alice.userId });
    expect(queued).toMatchObject({
      status: 202,
      body: { status: 'queued', held_by: [hold.body.id], keys_destroyed: 0 },
    });
    expect(await contentOf(alice, queued.body.position)).toBe(`${alice.userId} ${MARKER}`);
    const { rows } = await t.app.pg.query(
      'SELECT count(*)::int AS n FROM privacy_data_keys WHERE subject_id = $1 AND destroyed_at IS NOT NULL',
      [alice.userId],
    );
    expect(rows[0].n).toBe(0);

    const released = await officer.post(`/api/privacy/holds/${hold.body.id}/release/`);
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body.erasures).toMatchObject([
      { id: queued.body.id, status: 'erased', user_id: alice.userId },
    ]);
    expect(await contentOf(alice, released.body.position)).toBe('');

    expect(await eventTypes(`legalhold-${hold.body.id}`)).toEqual(['LegalHoldPlaced', 'LegalHoldReleased']);
    expect(await eventTypes(`erasure-${queued.body.id}`)).toEqual(['ErasureQueued', 'SubjectErased']);
    // each of them is committed to by the audit log (a leaf of its global tree, in no room's)
    await sequenceAuditLog(t.app.pg, t.app.eventStore);
    const ids = [
      ...(await eventsOf(`legalhold-${hold.body.id}`)),
      ...(await eventsOf(`erasure-${queued.body.id}`)),
    ].map((e) => e.id);
    const leaves = await t.app.pg.query<{ event_id: string }>(
      'SELECT event_id FROM audit_leaves WHERE event_id = ANY($1::text[]) AND room_id IS NULL',
      [ids],
    );
    expect(leaves.rows.map((row) => row.event_id).sort()).toEqual([...ids].sort());
    // released once: a second release changes nothing and runs nothing
    const again = await officer.post(`/api/privacy/holds/${hold.body.id}/release/`);
    expect(again).toMatchObject({ status: 200, body: { erasures: [] } });
  });

  it('does not stop an erasure when it covers none of the person’s data', async () => {
    const otherRoom = await officer.post('/api/privacy/holds/', { room_id: uuidv4() });
    const past = await officer.post('/api/privacy/holds/', {
      user_id: carol.userId,
      from: '2020-01-01',
      to: '2020-12-31',
    });
    expect([otherRoom.status, past.status]).toEqual([201, 201]);
    const erased = await officer.post('/api/privacy/erasures/', { user_id: carol.userId });
    expect(erased).toMatchObject({ status: 201, body: { status: 'erased', held_by: [] } });
    expect(await contentOf(carol, erased.body.position)).toBe('');
  });
});
