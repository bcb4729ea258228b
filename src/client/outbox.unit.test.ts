import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';
import { backoffDelay } from './socket.ts';
import { memoryStore } from './storage.ts';

describe('outbox', () => {
  it('keeps unsent messages across a reload, and resends one that was in flight', () => {
    const store = memoryStore();
    const before = new Outbox(store, 'chat-outbox:7');
    const first = before.add({ room_id: 'r', content: 'one' });
    const second = before.add({ room_id: 'r', content: 'two', reply_to: first.client_id });
    before.update(first.client_id, { state: 'sending' });
    before.update(second.client_id, { state: 'failed', error: { code: 'room_archived', message: 'no' } });

    const after = new Outbox(store, 'chat-outbox:7');
    expect(after.list().map((entry) => [entry.content, entry.state, entry.client_id])).toEqual([
      ['one', 'pending', first.client_id],
      ['two', 'failed', second.client_id],
    ]);
    after.remove(first.client_id);
    after.remove(second.client_id);
    expect(store.get('chat-outbox:7')).toBeNull();
  });

  it('gives every message its own client id', () => {
    const outbox = new Outbox(memoryStore(), 'k');
    const ids = new Set(
      Array.from({ length: 200 }, () => outbox.add({ room_id: 'r', content: 'x' }).client_id),
    );
    expect(ids.size).toBe(200);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('reconnect backoff', () => {
  const backoff = { initialMs: 500, maxMs: 15_000 };
  it('doubles up to the ceiling, jittered within its upper half', () => {
    expect(backoffDelay(0, backoff, () => 0)).toBe(250);
    expect(backoffDelay(0, backoff, () => 1)).toBe(500);
    expect(backoffDelay(3, backoff, () => 1)).toBe(4_000);
    expect(backoffDelay(30, backoff, () => 0)).toBe(7_500);
    expect(backoffDelay(30, backoff, () => 1)).toBe(15_000);
  });
});
