// Reads the members of an event line before its leaf (exportFormat.ts) when they are spelt exactly as
// the writer spells them and hold nothing that needs escaping: the verifier's common case, read with a
// few indexOf calls instead of JSON.parse and then JSON.stringify to compare (which were a third of its
// work per line). Anything else (an escape, a control character, a key that is an array index or
// "__proto__", a member out of place) answers null, and the verifier takes the general path, which
// parses the line and refuses any spelling but the writer's: so this accepts nothing that path refuses,
// and reads the same values (the verifier's text is decoded from UTF-8, so it holds no lone surrogate,
// the one other character JSON.stringify escapes).
import type { EventLine } from './exportFormat.ts';

export type EventLineHead = Omit<EventLine, 'leaf'>;

const START = '{"t":"event","room":"';

/** `text`: the line up to (not including) its `,"leaf":` member */
export function eventLineHead(text: string): EventLineHead | null {
  if (!text.startsWith(START) || text.includes('\\')) return null;
  // with no escapes, a string is its characters between two quotes
  let at = START.length;
  const roomEnd = text.indexOf('"', at);
  if (roomEnd < 0) return null;
  const room = text.slice(at, roomEnd);
  if (!unescaped(room)) return null;
  at = roomEnd;
  if (!text.startsWith('","ri":', at)) return null;
  at += 7;
  const riStart = at;
  while (at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
  // JSON.stringify's spelling of an index: no sign, no leading zero, no fraction or exponent
  if (at === riStart || at - riStart > 15 || (text.charCodeAt(riStart) === 48 && at - riStart > 1))
    return null;
  const ri = Number(text.slice(riStart, at));
  if (!text.startsWith(',"proof":[', at)) return null;
  at += 10;
  const proof: string[] = [];
  if (text.charCodeAt(at) === 93) at += 1;
  else {
    for (;;) {
      if (text.charCodeAt(at) !== 34) return null;
      const close = text.indexOf('"', at + 1);
      if (close < 0) return null;
      proof.push(text.slice(at + 1, close));
      const next = text.charCodeAt(close + 1);
      at = close + 2;
      if (next === 93) break;
      if (next !== 44) return null;
    }
  }
  if (!text.startsWith(',"salts":', at)) return null;
  const salts = stringMap(text, at + 9, true);
  if (salts === null || !text.startsWith(',"texts":', salts.end)) return null;
  const texts = stringMap(text, salts.end + 9);
  if (texts === null || texts.end !== text.length) return null;
  return { t: 'event', room, ri, proof, salts: salts.map, texts: texts.map };
}

/**
 * whether JSON.stringify writes the string as it is between its quotes (it holds no backslash: checked
 * on the whole text): no control character. Only the room, the paths and the texts are looked at: the
 * proof and the salts must be base64 hashes, which the verifier checks of each.
 */
function unescaped(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 32) return false;
  return true;
}

/** an object of string members from `at`, and where it ends, or null */
function stringMap(
  text: string,
  at: number,
  salts = false,
): { map: { [key: string]: string }; end: number } | null {
  if (text.charCodeAt(at) !== 123) return null;
  const map: { [key: string]: string } = {};
  at += 1;
  if (text.charCodeAt(at) === 125) return { map, end: at + 1 };
  for (;;) {
    if (text.charCodeAt(at) !== 34) return null;
    const keyEnd = text.indexOf('"', at + 1);
    if (keyEnd < 0) return null;
    const key = text.slice(at + 1, keyEnd);
    // JSON.stringify writes array-index keys first whatever the order, and JSON.parse makes "__proto__"
    // a member where an assignment sets a prototype: both left to the general path
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === '__proto__' || Object.hasOwn(map, key) || !unescaped(key))
      return null;
    if (text.charCodeAt(keyEnd + 1) !== 58 || text.charCodeAt(keyEnd + 2) !== 34) return null;
    const valueEnd = text.indexOf('"', keyEnd + 3);
    if (valueEnd < 0) return null;
    const value = text.slice(keyEnd + 3, valueEnd);
    if (!salts && !unescaped(value)) return null;
    map[key] = value;
    const next = text.charCodeAt(valueEnd + 1);
    at = valueEnd + 2;
    if (next === 125) return { map, end: at };
    if (next !== 44) return null;
  }
}
