import { describe, expect, it } from 'vitest';
import { BodyText, NameText, SafeText, textProblem, withoutForbiddenNameCharacters } from './text.ts';

const ORDINARY = [
  'Pool repairs on Friday',
  'Zoë Ødegård, Ñandú, façade',
  'עברית ועוד', // RTL letters
  'مرحبا بالعالم',
  'می‌خواهم', // Persian with a zero-width non-joiner, as keyboards type it
  '中文 日本語 한국어',
  '👍🏽 👨‍👩‍👧 🏳️‍🌈 1️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿', // skin tone, ZWJ sequences, variation selector, keycap, tag flag
  'a \\u0000 that is only a backslash and letters',
];

describe('text rules', () => {
  it.each(ORDINARY)('accepts ordinary text everywhere: %s', (text) => {
    for (const kind of ['text', 'body', 'name'] as const) expect(textProblem(text, kind)).toBeUndefined();
  });

  it.each([
    ['the NUL character', 'a\u0000b', 'U+0000'],
    ['a lone high surrogate', 'broken \ud83d', 'U+D83D'],
    ['a lone low surrogate', '\ude00 first', 'U+DE00'],
    ['surrogates in the wrong order', '\ude00\ud83d', 'U+DE00'],
  ])('refuses %s in every kind of field', (_, text, named) => {
    for (const kind of ['text', 'body', 'name'] as const) expect(textProblem(text, kind)).toContain(named);
  });

  it('lets a body have lines and tabs, but no other control character', () => {
    expect(textProblem('line one\r\nline two\n\tindented', 'body')).toBeUndefined();
    for (const control of ['\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b']) {
      expect(textProblem(`x${control}y`, 'body')).toMatch(/control character U\+00[0-9A-F]{2}/);
    }
    // bidi controls and invisible characters have their uses in running text
    expect(textProblem('price \u2067100 ₪\u2069 \u200f', 'body')).toBeUndefined();
  });

  it.each([
    ['a line feed', 'Team\nAdmin', 'U+000A'],
    ['a tab', 'a\tb', 'U+0009'],
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'U+202E'],
    ['a left-to-right embedding', '\u202Aname', 'U+202A'],
    ['a first strong isolate', 'a\u2068b', 'U+2068'],
    ['a right-to-left mark', 'name\u200f', 'U+200F'],
    ['a zero-width space', 'ad\u200bmin', 'U+200B'],
    ['a word joiner', 'ad\u2060min', 'U+2060'],
    ['a byte order mark', '\ufeffadmin', 'U+FEFF'],
    ['a soft hyphen', 'ad\u00admin', 'U+00AD'],
    ['a Hangul filler (a letter that shows as nothing)', '\u3164', 'U+3164'],
    ['a line separator', 'a\u2028b', 'U+2028'],
  ])('refuses in a name %s', (_, text, named) => {
    expect(textProblem(text, 'name')).toContain(named);
  });

  it('takes out of a brought-along name what a name may not contain', () => {
    expect(withoutForbiddenNameCharacters('invoice\u202Efdp\u200b.exe\u0000')).toBe('invoicefdp.exe');
    expect(withoutForbiddenNameCharacters('half \ud83d.png')).toBe('half \ufffd.png');
    expect(withoutForbiddenNameCharacters('👨‍👩‍👧 می‌خواهم')).toBe('👨‍👩‍👧 می‌خواهم');
  });

  it('as zod schemas: an invalid_text issue, with the limits chained after it still checked', () => {
    const name = NameText.max(10).safeParse('ab\u202ecd');
    expect(name.error?.issues[0]).toMatchObject({ code: 'custom', params: { code: 'invalid_text' } });
    expect(NameText.max(3).safeParse('abcd').error?.issues[0]?.code).toBe('too_big');
    expect(BodyText.safeParse('two\nlines').success).toBe(true);
    expect(SafeText.safeParse('\u202e\t ok').success).toBe(true);
    expect(SafeText.safeParse(42).error?.issues[0]?.code).toBe('invalid_type');
  });
});
