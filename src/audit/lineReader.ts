// Splits a byte or text stream into lines without holding more than one line (and one chunk) in memory.
import { StringDecoder } from 'node:string_decoder';

export type Line = { readonly text: string; readonly number: number; readonly complete: boolean };

export class LineTooLong extends Error {
  constructor(lineNumber: number, maxChars: number) {
    super(`line ${lineNumber} is longer than ${maxChars} characters`);
    this.name = 'LineTooLong';
  }
}

/** yields every line without its "\n"; a last line with no "\n" after it comes with complete: false */
export async function* readLines(
  source: AsyncIterable<string | Uint8Array>,
  maxLineChars = 16 * 1024 * 1024,
): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of source) {
    const text =
      typeof chunk === 'string'
        ? chunk
        : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      number += 1;
      const line = pending + text.slice(start, newline);
      pending = '';
      if (line.length > maxLineChars) throw new LineTooLong(number, maxLineChars);
      yield { text: line, number, complete: true };
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    pending += text.slice(start);
    if (pending.length > maxLineChars) throw new LineTooLong(number + 1, maxLineChars);
  }
  pending += decoder.end();
  if (pending.length > 0) yield { text: pending, number: number + 1, complete: false };
}
