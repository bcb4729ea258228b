import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from './auditLog.ts';
import { openCheckpoint } from './checkpoint.ts';
import { interleave, ORIGIN, roomStory } from './fixtures/sampleLog.ts';
import { auditEventOf, leafBytes, sequenceEvent } from './leaf.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { generateNoteKeys, parseSignerKey, parseVerifierKey } from './signedNote.ts';

describe('AuditLog', () => {
  const keys = generateNoteKeys(ORIGIN);
  const events = interleave(roomStory('room-a', 4), roomStory('room-b', 3));

  it("numbers each room's events and keeps a tree per room of the same leaves as the global tree", () => {
    const log = new AuditLog();
    const appended = events.map((e) => log.appendEvent(e, randomBytes(32)));
    expect(appended.map((a) => a.leafIndex)).toEqual(events.map((_, i) => i));
    const roomA = appended.filter((a) => a.roomId === 'room-a');
    expect(roomA.map((a) => a.roomIndex)).toEqual(roomA.map((_, i) => i));
    const expected = new TreeBuilder();
    for (const a of roomA) expected.append(a.leafHash);
    expect(log.roomHeads().find((h) => h.roomId === 'room-a')).toEqual({
      roomId: 'room-a',
      size: roomA.length,
      root: expected.root(),
    });
    const again = sequenceEvent(auditEventOf(events[0]!), 0, appended[0]!.secret!);
    expect(hashLeaf(leafBytes(again.leaf))).toEqual(appended[0]!.leafHash);
  });

  it('signs a checkpoint that ends with the room heads leaf, and resumes from its saved state', () => {
    const whole = new AuditLog();
    const halves = new AuditLog();
    const secrets = events.map(() => randomBytes(32));
    for (let i = 0; i < events.length; i++) whole.appendEvent(events[i]!, secrets[i]!);
    for (let i = 0; i < 5; i++) halves.appendEvent(events[i]!, secrets[i]!);
    const resumed = new AuditLog({ state: halves.state() });
    for (let i = 5; i < events.length; i++) resumed.appendEvent(events[i]!, secrets[i]!);
    const signer = parseSignerKey(keys.signerKey);
    const a = whole.checkpoint(ORIGIN, signer);
    const b = resumed.checkpoint(ORIGIN, signer);
    expect(a.checkpoint).toEqual(b.checkpoint);
    expect(a.checkpoint.size).toBe(events.length + 1);
    expect(openCheckpoint(a.note, parseVerifierKey(keys.verifierKey))).toEqual(a.checkpoint);
    expect(a.roomHeads.map((h) => h.roomId)).toEqual(['room-a', 'room-b']);
  });
});
