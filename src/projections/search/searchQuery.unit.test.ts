import { describe, expect, it } from 'vitest';
import { parseSearchQuery, SearchQueryError } from './searchQuery.ts';

describe('parseSearchQuery', () => {
  it('leaves free text, phrases, exclusions and OR to the text search', () => {
    const query = parseSearchQuery('  boiler "unit 4B"  -heater or leak ');
    expect(query.text).toBe('boiler "unit 4B" -heater or leak');
    expect(query.from).toEqual([]);
  });

  it('takes every operator out of the text, quoted values included', () => {
    const query = parseSearchQuery(
      'leak from:alice FROM:bob in:"Unit 4B" has:attachment is:EDITED after:2026-01-05 before:2026-02-01',
    );
    expect(query).toEqual({
      text: 'leak',
      from: ['alice', 'bob'],
      in: ['Unit 4B'],
      hasAttachment: true,
      isEdited: true,
      before: new Date('2026-02-01T00:00:00Z'),
      // a day after: once it ended
      after: new Date('2026-01-06T00:00:00Z'),
    });
  });

  it('reads ISO times as themselves and keeps the narrowest bound', () => {
    const query = parseSearchQuery(
      'before:2026-03-01T10:00:00Z before:2026-02-01 after:2025-12-31T23:00:00+01:00',
    );
    expect(query.before).toEqual(new Date('2026-02-01T00:00:00Z'));
    expect(query.after).toEqual(new Date('2025-12-31T22:00:00Z'));
  });

  it('is operators only when nothing else is left', () => {
    expect(parseSearchQuery('from:alice').text).toBeNull();
  });

  it('keeps words with a colon that are no operator (or not at a word start) as text', () => {
    expect(parseSearchQuery('re: meeting at 10:30 -from:bob').text).toBe('re: meeting at 10:30 -from:bob');
  });

  it.each(['has:image', 'is:pinned', 'before:yesterday', 'after:2026-02-30', 'before:2026-13-01', 'from:""'])(
    'refuses %s',
    (input) => {
      expect(() => parseSearchQuery(input)).toThrow(SearchQueryError);
    },
  );

  it('bounds the number of from: and in: values', () => {
    expect(() => parseSearchQuery(Array.from({ length: 21 }, (_, i) => `from:u${i}`).join(' '))).toThrow(
      SearchQueryError,
    );
  });
});
