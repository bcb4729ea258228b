import { describe, expect, it } from 'vitest';
import { append, asStream, checkpoint, exportLines, newSampleLog, roomStory } from './fixtures/sampleLog.ts';
import { eventsOfExport, HISTORY_CSV_COLUMNS, renderHistoryCsv } from './historyCsv.ts';
import { auditEventOf } from './leaf.ts';

async function collect(rows: AsyncIterable<string>) {
  let text = '';
  for await (const r of rows) text += r;
  return text;
}

// a small RFC 4180 reader, to read back what was written
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('history CSV', () => {
  it('has one row per event of an export, edits, hides, deletes and reports included, with actor and text', async () => {
    const sample = newSampleLog();
    append(sample, roomStory('room-a', 2));
    checkpoint(sample);
    const lines = await exportLines(sample, ['room-a']);
    const rows = parseCsv(await collect(renderHistoryCsv(eventsOfExport(asStream(lines)))));
    expect(rows[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    const body = rows.slice(1).map((r) => Object.fromEntries(HISTORY_CSV_COLUMNS.map((c, i) => [c, r[i]])));
    expect(body.map((r) => r.event_type)).toEqual(sample.appended.map((a) => a.event.type));
    const edit = body.find((r) => r.event_type === 'MessageEdited')!;
    expect(edit).toMatchObject({
      actor_id: 'u1',
      message_id: 'room-a-m0',
      text: 'edited text',
      room_id: 'room-a',
    });
    expect(body.find((r) => r.event_type === 'MessageHidden')).toMatchObject({
      actor_id: 'mod',
      text: 'abuse',
    });
    expect(body.find((r) => r.event_type === 'MessageDeleted')).toMatchObject({
      actor_id: 'u1',
      message_id: 'room-a-m0',
    });
    expect(body.find((r) => r.event_type === 'MessageReported')).toMatchObject({
      text: 'rude to the tenant',
    });
    expect(body[0]!.room_index).toBe('0');
  });

  it('quotes commas, quotes and newlines, defuses formulas, and lists erased fields', async () => {
    const [sent] = roomStory('room-a', 1).filter((e) => e.type === 'MessageSent');
    const event = auditEventOf({
      ...sent!,
      data: { ...(sent!.data as object), content: '=HYPERLINK("x"), then\na "quote"' },
    });
    const erasedEvent = auditEventOf(sent!);
    delete (erasedEvent.data as { content?: string }).content;
    const rows = parseCsv(
      await collect(
        renderHistoryCsv(asStreamOf([{ event }, { event: erasedEvent, erased: ['data.content'] }])),
      ),
    );
    const textColumn = HISTORY_CSV_COLUMNS.indexOf('text');
    expect(rows[1]![textColumn]).toBe(`'=HYPERLINK("x"), then\na "quote"`);
    expect(rows[2]![textColumn]).toBe('');
    expect(rows[2]![HISTORY_CSV_COLUMNS.indexOf('erased_fields')]).toBe('data.content');
  });
});

async function* asStreamOf<T>(items: T[]) {
  for (const item of items) yield item;
}
