import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { roomStory } from './fixtures/sampleLog.ts';
import {
  auditEventOf,
  commitText,
  deriveSalt,
  leafBytes,
  leafOfExportedEvent,
  revealEvent,
  sequenceEvent,
} from './leaf.ts';
import { hashLeaf } from './merkleTree.ts';
import { personalTextPaths } from './personalFields.ts';

const story = roomStory('room-a', 2).map(auditEventOf);
const created = story.find((e) => e.type === 'RoomCreated')!;
const sent = story.find((e) => e.type === 'MessageSent')!;

describe('salted commitments', () => {
  it('derive the salt as HMAC-SHA256 and commit as SHA-256(salt || text)', () => {
    const secret = randomBytes(32);
    const path = 'data.content';
    expect(deriveSalt(secret, path)).toEqual(
      createHmac('sha256', secret).update(`chat-audit/salt/v1\n${path}`).digest(),
    );
    const salt = deriveSalt(secret, path);
    expect(commitText(salt, 'héllo')).toEqual(
      createHash('sha256').update(salt).update('héllo', 'utf8').digest(),
    );
    expect(deriveSalt(secret, 'data.senderUsername')).not.toEqual(salt);
  });

  it('cover message text, usernames, room names, file names and reasons, in arrays too', () => {
    expect(personalTextPaths(created.type, created as never)).toEqual([
      'data.name',
      'data.participants.0.username',
      'data.participants.1.username',
    ]);
    const withFile = {
      ...sent,
      data: { ...(sent.data as object), attachment: { id: 'f', fileName: 'lease.pdf' } },
    };
    expect(personalTextPaths(sent.type, withFile as never)).toEqual([
      'data.attachment.fileName',
      'data.content',
      'data.senderUsername',
    ]);
    expect(personalTextPaths('RoomMarkedRead', story.at(-1) as never)).toEqual([]);
  });
});

describe('event leaves', () => {
  it('hold no personal text, only its commitments', () => {
    const { leaf } = sequenceEvent(created, 0, randomBytes(32));
    const bytes = leafBytes(leaf);
    for (const text of ['Flat 3B leak', 'alice', 'bob']) expect(bytes).not.toContain(text);
    expect(Object.keys(leaf.commitments)).toHaveLength(3);
    expect(leaf.event.data).toMatchObject({
      participants: [{ userId: 'u1', isAdmin: true }, { userId: 'u2' }],
    });
  });

  it('are rebuilt identically from the stored commitments, with the text there or erased', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(sent, 3, secret);
    const stored = { leafIndex: 9, roomIndex: 3, secret, commitments: sequenced.commitments };
    const whole = revealEvent(sent, stored);
    expect(whole.leafHash).toEqual(sequenced.leafHash);
    expect(Object.keys(whole.salts)).toEqual(['data.content', 'data.senderUsername']);

    const textGone = { ...sent, data: { ...(sent.data as object), content: null } };
    const erased = revealEvent(textGone, stored);
    expect(erased.leafHash).toEqual(sequenced.leafHash);
    expect(erased.erased).toEqual({ 'data.content': sequenced.commitments['data.content'] });
    expect((erased.event.data as { content?: string }).content).toBeUndefined();

    const secretGone = revealEvent(sent, { ...stored, secret: null });
    expect(secretGone.leafHash).toEqual(sequenced.leafHash);
    expect(secretGone.salts).toEqual({});
    expect(JSON.stringify(secretGone.event)).not.toContain('the boiler is fixed');
  });

  it('refuse a text that is not the one committed', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(sent, 0, secret);
    const changed = { ...sent, data: { ...(sent.data as object), content: 'changed afterwards' } };
    expect(() =>
      revealEvent(changed, { leafIndex: 0, roomIndex: 0, secret, commitments: sequenced.commitments }),
    ).toThrow(/not the text committed/);
  });

  it('are what a verifier rebuilds from an exported event, and nothing else', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(sent, 1, secret);
    const shown = revealEvent(sent, {
      leafIndex: 4,
      roomIndex: 1,
      secret,
      commitments: sequenced.commitments,
    });
    const rebuilt = leafOfExportedEvent(structuredClone(shown.event), 1, shown.salts, shown.erased);
    expect(typeof rebuilt !== 'string' && hashLeaf(leafBytes(rebuilt))).toEqual(sequenced.leafHash);
    // a salt without its text, text marked erased, or bad base64 are each refused with a reason
    const noText = structuredClone(shown.event);
    delete (noText.data as { content?: string }).content;
    expect(leafOfExportedEvent(noText, 1, shown.salts, {})).toMatch(/has a salt but no text/);
    expect(
      leafOfExportedEvent(
        structuredClone(shown.event),
        1,
        {},
        { 'data.content': shown.salts['data.content']! },
      ),
    ).toMatch(/erased but has a value/);
    expect(leafOfExportedEvent(structuredClone(shown.event), 1, { 'data.content': 'abc' }, {})).toMatch(
      /not 32 bytes/,
    );
  });
});
