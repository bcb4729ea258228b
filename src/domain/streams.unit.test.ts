import { describe, expect, it } from 'vitest';
import { newClientId } from '../client/outbox.ts';
import { messageIdForClientId } from './streams.ts';

describe('message ids for client ids', () => {
  it('are the same for a retry and differ between senders', () => {
    const clientId = newClientId();
    expect(messageIdForClientId('alice', clientId)).toBe(messageIdForClientId('alice', clientId));
    expect(messageIdForClientId('bob', clientId)).not.toBe(messageIdForClientId('alice', clientId));
    expect(messageIdForClientId('alice', 'msg-0001')).toBe(messageIdForClientId('alice', 'msg-0001'));
  });

  it('follow the time of the client library’s ids, so later messages sort after earlier ones', () => {
    const start = Date.UTC(2026, 11, 3);
    const ids = Array.from({ length: 50 }, (_, i) =>
      messageIdForClientId('alice', newClientId(start + i * 7)),
    );
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]!.slice(0, 13).replace('-', '')).toBe(start.toString(16).padStart(12, '0'));
  });

  it('are name-based for any other client id: no time a client did not mean to give', () => {
    expect(messageIdForClientId('alice', 'msg-0001')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    expect(messageIdForClientId('alice', crypto.randomUUID())).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
  });
});
