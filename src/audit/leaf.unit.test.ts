import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.ts';
import { roomStory } from './fixtures/sampleLog.ts';
import {
  auditEventOf,
  checkRevealedTexts,
  commitText,
  deriveSalt,
  erasedPaths,
  leafBytes,
  positionOfLeaf,
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
      createHash('sha256').update(salt).update('héllo', 'utf8').digest('base64'),
    );
    expect(commitText(salt.toString('base64'), 'héllo')).toEqual(commitText(salt, 'héllo'));
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
    const { leaf } = sequenceEvent(structuredClone(created), 0, randomBytes(32));
    const bytes = leafBytes(leaf);
    for (const text of ['Flat 3B leak', 'alice', 'bob']) expect(bytes).not.toContain(text);
    expect(Object.keys(leaf.commitments)).toHaveLength(3);
    expect(leaf.event.data).toMatchObject({
      participants: [{ userId: 'u1', isAdmin: true }, { userId: 'u2' }],
    });
  });

  it('are rebuilt identically from the stored commitments, with the text there or erased', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(structuredClone(sent), 3, secret);
    const stored = { leafIndex: 9, roomIndex: 3, secret, commitments: sequenced.commitments };
    const whole = revealEvent(structuredClone(sent), stored);
    expect(whole.leafHash).toEqual(sequenced.leafHash);
    expect(whole.leafBytes).toBe(leafBytes(sequenced.leaf));
    expect(Object.keys(whole.salts)).toEqual(['data.content', 'data.senderUsername']);
    expect(whole.texts['data.content']).toBe((sent.data as { content: string }).content);

    const textGone = { ...sent, data: { ...(sent.data as object), content: null } };
    const erased = revealEvent(textGone, stored);
    expect(erased.leafHash).toEqual(sequenced.leafHash);
    expect(Object.keys(erased.texts)).toEqual(['data.senderUsername']);
    expect(erasedPaths(erased.leafBytes, erased.texts)).toEqual(['data.content']);

    const secretGone = revealEvent(structuredClone(sent), { ...stored, secret: null });
    expect(secretGone.leafHash).toEqual(sequenced.leafHash);
    expect(secretGone.salts).toEqual({});
    expect(JSON.stringify(secretGone)).not.toContain('the boiler is fixed');
  });

  it('refuse a text that is not the one committed', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(structuredClone(sent), 0, secret);
    const changed = { ...sent, data: { ...(sent.data as object), content: 'changed afterwards' } };
    expect(() =>
      revealEvent(changed, { leafIndex: 0, roomIndex: 0, secret, commitments: sequenced.commitments }),
    ).toThrow(/not the text committed/);
  });

  it('are what a verifier checks revealed text against, and nothing else', () => {
    const secret = randomBytes(32);
    const sequenced = sequenceEvent(structuredClone(sent), 1, secret);
    const shown = revealEvent(structuredClone(sent), {
      leafIndex: 4,
      roomIndex: 1,
      secret,
      commitments: sequenced.commitments,
    });
    expect(hashLeaf(shown.leafBytes)).toEqual(sequenced.leafHash);
    expect(checkRevealedTexts(shown.leafBytes, shown.salts, shown.texts)).toBeNull();
    expect(positionOfLeaf(shown.leafBytes)).toBe(sent.position);
    // a changed text, a salt without its text, a field not committed, or bad base64 are each refused
    const content = { ...shown.texts, 'data.content': 'I never said that' };
    expect(checkRevealedTexts(shown.leafBytes, shown.salts, content)).toMatch(
      /not the text the log committed/,
    );
    const { 'data.content': _, ...fewer } = shown.texts;
    expect(checkRevealedTexts(shown.leafBytes, shown.salts, fewer)).toMatch(/name different fields/);
    expect(
      checkRevealedTexts(
        shown.leafBytes,
        { 'data.other': shown.salts['data.content'] },
        { 'data.other': 'x' },
      ),
    ).toMatch(/not a field the leaf committed to/);
    expect(checkRevealedTexts(shown.leafBytes, { 'data.content': 'abc' }, { 'data.content': 'x' })).toMatch(
      /not 32 bytes/,
    );
  });

  it('are JSON.stringify of canonically ordered keys, and canonical JSON when a key is an array index', () => {
    const withIndexKey = { ...sent, data: { ...(sent.data as object), reactions: { '10': 'a', '9': 'b' } } };
    const { leaf } = sequenceEvent(withIndexKey as never, 0, randomBytes(32));
    expect(leafBytes(leaf)).toContain('{"10":"a","9":"b"}');
    expect(leafBytes(leaf)).toBe(canonicalJson(leaf as never));
    for (const event of story) {
      const plain = sequenceEvent(structuredClone(event), 0, randomBytes(32)).leaf;
      expect(leafBytes(plain)).toBe(canonicalJson(plain as never));
    }
  });
});
