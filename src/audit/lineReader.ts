// Splits a byte or text stream into lines without holding more than one line (and one chunk) in memory.
// Lines stay bytes, places in the chunk that holds them: the verifier hashes an event's leaf as the bytes
// it is and decodes only the rest of the line (decoding the whole line, then encoding the leaf again to
// hash it, was a fifth of its work). A chunk is cut at its last newline, which never falls inside a UTF-8
// character.

export type Line = {
  /** the line is bytes start (inclusive) to end (exclusive) of chunk, without its "\n" */
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
  readonly number: number;
  readonly complete: boolean;
};

export class LineTooLong extends Error {
  constructor(lineNumber: number, maxBytes: number) {
    super(`line ${lineNumber} is longer than ${maxBytes} bytes`);
    this.name = 'LineTooLong';
  }
}

export function lineText(line: Line): string {
  return line.chunk.toString('utf8', line.start, line.end);
}

/**
 * yields every line, the lines each chunk completes together (one await a chunk, not a line); a last
 * line with no "\n" after it comes with complete: false
 */
export async function* readLines(
  source: AsyncIterable<string | Uint8Array>,
  maxLineBytes = 16 * 1024 * 1024,
): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes > maxLineBytes) throw new LineTooLong(number + 1, maxLineBytes);
      continue;
    }
    const whole =
      pendingBytes > 0
        ? Buffer.concat([...pending, bytes.subarray(0, lastNewline + 1)])
        : bytes.subarray(0, lastNewline + 1);
    const rest = bytes.subarray(lastNewline + 1);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    const lines: Line[] = [];
    for (let start = 0; start < whole.length; ) {
      const end = whole.indexOf(0x0a, start);
      number += 1;
      if (end - start > maxLineBytes) throw new LineTooLong(number, maxLineBytes);
      lines.push({ chunk: whole, start, end, number, complete: true });
      start = end + 1;
    }
    yield lines;
  }
  if (pendingBytes > 0) {
    const chunk = Buffer.concat(pending);
    yield [{ chunk, start: 0, end: chunk.length, number: number + 1, complete: false }];
  }
}
