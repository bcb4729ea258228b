// Rows in PostgreSQL COPY's text format: what a bulk rebuild streams into its tables.

/** Rows are encoded for COPY this many at a time (one chunk written to the connection). */
const COPY_CHUNK_ROWS = 2_000;

/** Rows in COPY's text format, a chunk of rows per string. */
export function* copyText(rows: Iterable<object>, columns: readonly string[]): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    chunk += copyLine(row, columns);
    if (++count === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk) yield chunk;
}

/** One row in COPY's text format, with its line feed. */
export function copyLine(row: object, columns: readonly string[]): string {
  const values = row as Record<string, unknown>;
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += '\t';
    line += copyValue(values[columns[i]!]);
  }
  return `${line}\n`;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\\n\r\t]/g, (special) => COPY_ESCAPES[special]!);
}
