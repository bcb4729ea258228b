import { v5 as uuidv5, validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newClientId } from '../client/outbox.ts';
import { messageIdForClientId, nameBasedId, timeOrderedId } from './streams.ts';

describe('name-based ids', () => {
  it('are the uuid package’s v5 ids, so every id derived before stays the same', () => {
    const namespace = '0b8e4f9a-7c21-4d3e-8f56-2a1b9c8d7e61';
    // the RFC 9562 example: "www.example.com" in the DNS namespace
    expect(nameBasedId('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    for (const name of [
      '',
      'alice\u0000msg-0001',
      'ünïcode 🏠 flat 3',
      'x'.repeat(300),
      crypto.randomUUID(),
    ]) {
      expect(nameBasedId(name, namespace)).toBe(uuidv5(Buffer.from(name, 'utf8'), namespace));
    }
  });
});

describe('time-ordered ids', () => {
  it('are v7 ids carrying the time they were made, distinct from each other', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, () => timeOrderedId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(validate(id) && version(id)).toBe(7);
      const time = Number.parseInt(id.slice(0, 13).replace('-', ''), 16);
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
  });
});

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
