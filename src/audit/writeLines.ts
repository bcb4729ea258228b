// Writes an export's lines to a file (or any writable stream) with backpressure, as bytes a batch at a
// time: a write per line, or one long string joined from lines, cost the writer more than making the
// lines (a stream write per line; a joined string is flattened and encoded again).
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const BATCH_BYTES = 256 * 1024;

/** writes every line, then ends the stream and waits until it has finished */
export async function writeLines(lines: AsyncIterable<string>, out: Writable): Promise<void> {
  let batch = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  const flush = async () => {
    if (used === 0) return;
    if (!out.write(batch.subarray(0, used))) await once(out, 'drain');
    used = 0;
  };
  for await (const line of lines) {
    // a UTF-16 code unit is at most 3 bytes of UTF-8
    if (used + 3 * line.length > batch.length) {
      await flush();
      // the stream may still hold the last batch: write into a new one
      batch = Buffer.allocUnsafe(Math.max(BATCH_BYTES, 3 * line.length));
    }
    used += batch.write(line, used, 'utf8');
  }
  await flush();
  out.end();
  await once(out, 'finish');
}
