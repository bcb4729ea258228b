// An export of a 100,000-event room is written and verified as a stream: the file never exists whole in
// memory, on either side.
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../eventstore/eventStore.ts';
import type { AppendedEvent } from './auditLog.ts';
import { createExportWriter } from './exportWriter.ts';
import { append, checkpoint, newSampleLog, recorded, roomLeafHashes } from './fixtures/sampleLog.ts';
import { verifyExport } from './verifyExport.ts';

const EVENTS = 100_000;

// a full collection before each sample, so what is measured is what the writer and verifier retain
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const retainedHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

// about 10 CPU-seconds of hashing; on the shared 2-core machine under full load it took 145-180 s of wall
// time, past the default 60 s, so this one has a deadline of its own (nothing here is timed)
vi.setConfig({ testTimeout: 600_000 });

describe('a 100,000-event room export', () => {
  it('streams from the writer into the verifier with bounded memory', async () => {
    const sample = newSampleLog();
    const secret = randomBytes(32);
    const events: RecordedEvent[] = [];
    for (let i = 0; i < EVENTS; i++) {
      events.push(
        recorded(`message-m${i}`, 0, 'MessageSent', {
          messageId: `m${i}`,
          roomId: 'big',
          senderId: 'u1',
          senderUsername: 'alice',
          messageType: 'text',
          content: `message ${i}: the boiler in flat 3B is fixed`,
          replyTo: null,
          attachment: null,
          clientId: null,
        }),
      );
    }
    // one secret for all keeps the fixture small; the log treats each as the event's own
    for (const event of events)
      sample.appended.push({ event, stored: sample.log.appendEvent(event, secret) });
    append(sample, []);
    const signed = checkpoint(sample);
    const stored: AppendedEvent[] = sample.appended.map((a) => a.stored);

    const before = retainedHeap();
    let peak = before;
    let bytes = 0;
    async function* source() {
      for (let i = 0; i < EVENTS; i += 1_000) {
        const page = [];
        for (let k = i; k < Math.min(i + 1_000, EVENTS); k++)
          page.push({ event: events[k]!, stored: stored[k]! });
        yield page;
      }
    }
    async function* measured(pieces: AsyncIterable<string>) {
      let n = 0;
      for await (const piece of pieces) {
        bytes += piece.length;
        if (++n % 10 === 0) peak = Math.max(peak, retainedHeap());
        yield piece;
      }
    }
    const writer = createExportWriter({
      checkpointNote: signed.note,
      store: sample.store,
      rooms: ['big'],
      roomHeads: signed.roomHeads,
      roomLeafHashes: roomLeafHashes(sample, ['big'], signed.checkpoint.size),
      events: source(),
    });
    const result = await verifyExport(measured(writer), sample.verifierKey);
    expect(result.ok && result.export.rooms).toEqual([{ roomId: 'big', events: EVENTS }]);
    expect(bytes).toBeGreaterThan(64 * 1024 * 1024);
    // the file is over 64 MiB; what the two sides hold meanwhile stays a small fraction of it
    expect(peak - before).toBeLessThan(16 * 1024 * 1024);
  });
});
