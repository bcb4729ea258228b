import { describe, expect, it } from 'vitest';
import { PERSONAL_TEXT_FIELDS } from '../audit/personalFields.ts';
import { ENCRYPTED_FIELDS, personalFieldsOf, personalFieldsOfCopy } from './encryptedFields.ts';
import {
  cipherKeyOf,
  type FieldEnvelope,
  isSealedField,
  openEnvelope,
  type SharedEnvelope,
  sealFields,
} from './fieldCipher.ts';

describe('encrypted fields', () => {
  it('are all fields the audit log commits to by a salted hash, so a tombstone changes no audit leaf', () => {
    for (const [type, specs] of Object.entries(ENCRYPTED_FIELDS)) {
      for (const spec of specs)
        expect(PERSONAL_TEXT_FIELDS[type], `${type} ${spec.path}`).toContain(spec.path);
    }
  });

  it("names each participant's own id as the subject of their username", () => {
    const event = {
      data: {
        participants: [{ userId: 'u1', username: 'ada' }, { userId: 'u2' }, { userId: 'u3', username: 'cy' }],
      },
    };
    const fields = personalFieldsOf('RoomCreated', event);
    expect(fields.map((f) => [f.path, f.subjectId, f.holder[f.name]])).toEqual([
      ['data.participants.0.username', 'u1', 'ada'],
      ['data.participants.2.username', 'u3', 'cy'],
    ]);
  });

  it("finds a message's body, display name and attachment file name under the sender", () => {
    const event = {
      data: {
        senderId: 's',
        content: 'hello',
        senderUsername: 'sam',
        attachment: { id: 'a', fileName: 'lease.pdf', contentType: 'application/pdf', sizeBytes: 3 },
      },
    };
    expect(personalFieldsOf('MessageSent', event).map((f) => [f.path, f.subjectId])).toEqual([
      ['data.content', 's'],
      ['data.senderUsername', 's'],
      ['data.attachment.fileName', 's'],
    ]);
    expect(personalFieldsOf('ReactionAdded', event)).toEqual([]);
  });
});

describe('field cipher', () => {
  const dataKey = cipherKeyOf({ keyId: 'k1', key: Buffer.alloc(32, 7) });

  it("seals an event's fields under one key in one envelope, which opens only for the same event", () => {
    const sealed = sealFields(dataKey, 'event-1', [
      ['data.content', 'secret text ü'],
      ['data.senderUsername', 'sam'],
    ]);
    expect(sealed[1]).toEqual({ enc: 2, in: 'data.content' });
    expect(sealed.every(isSealedField)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain('secret');
    const envelope = sealed[0] as SharedEnvelope;
    const texts = openEnvelope(dataKey.key, 'event-1', 'data.content', envelope);
    expect([...texts]).toEqual([
      ['data.content', 'secret text ü'],
      ['data.senderUsername', 'sam'],
    ]);
    expect(() => openEnvelope(dataKey.key, 'event-2', 'data.content', envelope)).toThrow();
    const otherKey = cipherKeyOf({ keyId: 'k2', key: Buffer.alloc(32, 8) }).key;
    expect(() => openEnvelope(otherKey, 'event-1', 'data.content', envelope)).toThrow();
  });

  it('still opens an envelope of the first format, one field sealed alone, only at its own path', () => {
    // written by the one-envelope-per-field sealer this format replaced
    const firstFormat: FieldEnvelope = {
      enc: 1,
      kid: 'k1',
      iv: '4YSISfGSIlWVOxuN',
      ct: '-1Qdc7y8wQc60uFT7W2-oSbHNgzR8wSewam_5gHU',
    };
    expect(isSealedField(firstFormat)).toBe(true);
    expect([...openEnvelope(dataKey.key, 'event-1', 'data.content', firstFormat)]).toEqual([
      ['data.content', 'secret text ü'],
    ]);
    expect(() => openEnvelope(dataKey.key, 'event-1', 'data.senderUsername', firstFormat)).toThrow();
    expect(() => openEnvelope(dataKey.key, 'event-2', 'data.content', firstFormat)).toThrow();
  });

  it('never takes a plaintext string for an envelope', () => {
    expect(isSealedField('{"enc":1,"kid":"k","iv":"","ct":""}')).toBe(false);
    expect(isSealedField('{"enc":2,"in":"data.content"}')).toBe(false);
  });
});

describe('a copy for sealing or opening', () => {
  it('copies what leads to the fields, once, and leaves the original as it was', () => {
    const original = {
      type: 'MessageSent',
      data: {
        messageId: 'm',
        senderId: 'u1',
        content: 'hi',
        senderUsername: 'ann',
        attachment: { fileName: 'a.pdf', size: 3 },
        reactions: { '👍': ['u2'] },
      },
    };
    const { copy, fields } = personalFieldsOfCopy(original);
    expect(fields.map((f) => f.path)).toEqual([
      'data.content',
      'data.senderUsername',
      'data.attachment.fileName',
    ]);
    for (const field of fields) field.holder[field.name] = null;
    expect(copy.data).toMatchObject({
      content: null,
      senderUsername: null,
      attachment: { fileName: null, size: 3 },
    });
    expect(original.data).toMatchObject({
      content: 'hi',
      senderUsername: 'ann',
      attachment: { fileName: 'a.pdf' },
    });
    // what leads to no field is shared, not copied
    expect(copy.data.reactions).toBe(original.data.reactions);
  });

  it('copies each element of an array it walks through', () => {
    const original = {
      type: 'RoomCreated',
      data: {
        participants: [
          { userId: 'a', username: 'ann' },
          { userId: 'b', username: 'bob' },
        ],
      },
    };
    const { copy, fields } = personalFieldsOfCopy(original);
    expect(fields.map((f) => [f.path, f.subjectId])).toEqual([
      ['data.participants.0.username', 'a'],
      ['data.participants.1.username', 'b'],
    ]);
    for (const field of fields) field.holder[field.name] = null;
    expect(copy.data.participants.map((p) => p.username)).toEqual([null, null]);
    expect(original.data.participants.map((p) => p.username)).toEqual(['ann', 'bob']);
  });
});
