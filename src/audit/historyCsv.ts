// A room's history as CSV for e-discovery tools: one row per event (edits, hides, deletes and reports
// included, each with its actor and time), RFC 4180 quoting, CRLF line ends. A cell that a spreadsheet
// would run as a formula (starting with = + - @, tab or CR) is prefixed with an apostrophe.
import { canonicalJson, type JsonValue } from './canonicalJson.ts';
import type { AuditEvent } from './leaf.ts';
import { readLines } from './lineReader.ts';
import { setAtPath } from './personalFields.ts';

export type CsvEvent = {
  /** the event's place in its room (0, 1, ...) */
  readonly roomIndex?: number;
  readonly event: AuditEvent;
  readonly erased?: readonly string[];
};

export const HISTORY_CSV_COLUMNS = [
  'recorded_at',
  'occurred_at',
  'position',
  'room_index',
  'event_id',
  'event_type',
  'room_id',
  'stream',
  'actor_id',
  'message_id',
  'user_id',
  'text',
  'erased_fields',
  'data',
] as const;

// the free text each event type carries, shown in the `text` column
const TEXT_FIELD: Readonly<Record<string, string>> = {
  MessageSent: 'content',
  MessageEdited: 'content',
  MessageHidden: 'reason',
  MessageReported: 'reason',
  MessageBounced: 'content',
  RoomCreated: 'name',
  RoomUpdated: 'name',
};

export async function* renderHistoryCsv(events: AsyncIterable<CsvEvent>): AsyncGenerator<string> {
  yield row(HISTORY_CSV_COLUMNS);
  for await (const { roomIndex, event, erased } of events) {
    const data = isObject(event.data) ? event.data : {};
    const metadata = isObject(event.metadata) ? event.metadata : {};
    const textField = TEXT_FIELD[event.type];
    yield row([
      event.recordedAt,
      text(metadata.occurredAt),
      event.position,
      roomIndex === undefined ? '' : String(roomIndex),
      event.id,
      event.type,
      text(metadata.roomId ?? data.roomId),
      event.stream,
      text(metadata.actorId),
      text(data.messageId),
      text(data.userId ?? data.blockedUserId),
      textField === undefined ? '' : text(data[textField]),
      (erased ?? []).join(' '),
      canonicalJson(event.data),
    ]);
  }
}

/** the events of an export file (verify it first: this only reads), with their revealed text, for
 * renderHistoryCsv */
export async function* eventsOfExport(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvEvent> {
  for await (const lines of readLines(source)) {
    for (const line of lines) {
      if (!line.complete) return;
      const record = JSON.parse(line.text) as {
        t?: string;
        ri?: number;
        texts?: { [path: string]: string };
        leaf?: { event: AuditEvent; commitments: { [path: string]: string } };
      };
      if (record.t !== 'event' || record.leaf === undefined) continue;
      const texts = record.texts ?? {};
      const event = record.leaf.event;
      for (const [path, text] of Object.entries(texts)) setAtPath(event as unknown as JsonValue, path, text);
      const erased = Object.keys(record.leaf.commitments).filter((path) => !Object.hasOwn(texts, path));
      yield { roomIndex: record.ri, event, erased };
    }
  }
}

function row(cells: readonly string[]): string {
  return `${cells.map(cell).join(',')}\r\n`;
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function text(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
