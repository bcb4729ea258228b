import { describe, expect, it } from 'vitest';
import {
  append,
  asStream,
  checkpoint,
  exportLines,
  newSampleLog,
  recorded,
  roomStory,
} from './fixtures/sampleLog.ts';
import { verifyExportConsistency } from './verifyConsistency.ts';

describe('consistency between two exports', () => {
  it('proves a later export extends an earlier one, even of another room', async () => {
    const sample = newSampleLog();
    append(sample, [...roomStory('room-a', 3), ...roomStory('room-b', 2)]);
    const first = checkpoint(sample);
    const older = await exportLines(sample, ['room-a']);
    append(sample, roomStory('room-c', 4));
    checkpoint(sample);
    const newer = await exportLines(sample, ['room-b'], { consistencyFrom: [first.checkpoint.size] });
    const result = await verifyExportConsistency(asStream(older), asStream(newer), sample.verifierKey);
    expect(result.ok).toBe(true);
  });

  it('fails when the newer export carries no proof from the older one, or they are given the wrong way round', async () => {
    const sample = newSampleLog();
    append(sample, roomStory('room-a', 3));
    const first = checkpoint(sample);
    const older = await exportLines(sample, ['room-a']);
    append(sample, roomStory('room-b', 1));
    checkpoint(sample);
    const unproven = await exportLines(sample, ['room-a']);
    const none = await verifyExportConsistency(asStream(older), asStream(unproven), sample.verifierKey);
    expect(none.ok === false && none.failure.reason).toMatch(/no consistency proof from OLD's tree size/);
    const newer = await exportLines(sample, ['room-a'], { consistencyFrom: [first.checkpoint.size] });
    const swapped = await verifyExportConsistency(asStream(newer), asStream(older), sample.verifierKey);
    expect(swapped.ok === false && swapped.failure.reason).toMatch(/is newer than NEW/);
  });

  it('detects a rewritten history: the same log key, an event changed after the older export', async () => {
    const keys = newSampleLog();
    const events = roomStory('room-a', 5);
    const honest = newSampleLog({ signerKey: keys.signerKey, verifierKey: keys.verifierKey });
    append(honest, events);
    const first = checkpoint(honest);
    const older = await exportLines(honest, ['room-a']);

    // the operator rebuilds the log from a store where one message was altered, then signs on
    const rewritten = newSampleLog({ signerKey: keys.signerKey, verifierKey: keys.verifierKey });
    const altered = events.map((e, i) =>
      i === 2 ? { ...e, data: { ...(e.data as object), content: 'I never said that' } } : e,
    );
    append(rewritten, altered);
    checkpoint(rewritten);
    append(rewritten, [recorded('room-room-a', 99, 'RoomArchived', { roomId: 'room-a', archivedBy: 'u1' })]);
    checkpoint(rewritten);
    const newer = await exportLines(rewritten, ['room-a'], { consistencyFrom: [first.checkpoint.size] });

    const result = await verifyExportConsistency(asStream(older), asStream(newer), keys.verifierKey);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure.reason).toMatch(/history was rewritten/);
  });

  it('reports which file fails on its own', async () => {
    const sample = newSampleLog();
    append(sample, roomStory('room-a', 2));
    checkpoint(sample);
    const lines = await exportLines(sample, ['room-a']);
    const broken = lines.slice(0, -1);
    const result = await verifyExportConsistency(asStream(lines), asStream(broken), sample.verifierKey);
    expect(result.ok === false && result.file).toBe('new');
  });
});
