import { describe, expect, it } from 'vitest';
import { sanitizeFileName } from './attachmentStorage.ts';

describe('sanitizeFileName', () => {
  it('keeps only the base name, without control, bidi or zero-width characters', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(sanitizeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFileName('photo\r\nSet-Cookie: x.png')).toBe('photoSet-Cookie: x.png');
    expect(sanitizeFileName('zero\u200Bwidth\u0000.png')).toBe('zerowidth.png');
    expect(sanitizeFileName('\u3164\u2066report\u2069.pdf')).toBe('report.pdf');
    expect(sanitizeFileName('half \ud83d.png')).toBe('half \ufffd.png');
  });

  it('never answers an empty or hidden name, and caps the length', () => {
    expect(sanitizeFileName(undefined)).toBe('attachment');
    expect(sanitizeFileName('...')).toBe('attachment');
    expect(sanitizeFileName('.htaccess')).toBe('htaccess');
    expect([...sanitizeFileName('é'.repeat(10_000))]).toHaveLength(200);
  });

  it('keeps ordinary international names as they are', () => {
    expect(sanitizeFileName('Grundriss – Küche 2.png')).toBe('Grundriss – Küche 2.png');
    expect(sanitizeFileName('می‌خواهم 👩‍💻 שלום.pdf')).toBe('می‌خواهم 👩‍💻 שלום.pdf');
  });
});
