import { describe, expect, it } from 'vitest';
import { eventLineHead } from './eventLineHead.ts';
import { formatLine } from './exportFormat.ts';

const hash = 'PA9Ligty0r4yjPjH/fMf9GEdnTYGhrqXuhR9YW6Mjr4=';
/** an event line as the writer writes it, up to its leaf */
const head = (texts: { [path: string]: string }, ri = 3, proof = [hash, hash]) => {
  const salts = Object.fromEntries(Object.keys(texts).map((path) => [path, hash]));
  const line = formatLine({ t: 'event', room: 'room-a', ri, proof, salts, texts, leaf: '{}' });
  return line.slice(0, line.indexOf(',"leaf":{'));
};

/** the general path: the line parsed, and written again as JSON.stringify writes it */
const generalAccepts = (text: string) => {
  try {
    return JSON.stringify(JSON.parse(`${text}}`)) === `${text}}`;
  } catch {
    return false;
  }
};

describe('an event line read without JSON.parse', () => {
  it('reads what JSON.parse reads from the lines the writer writes', () => {
    for (const text of [
      head({ 'data.content': 'hello', 'data.senderUsername': 'alice' }),
      head({}, 0, []),
      head({ 'data.content': 'ünïcödé 😂 \u2028 </script>' }, 12345, [hash]),
    ]) {
      expect(eventLineHead(text)).toEqual(JSON.parse(`${text}}`));
    }
  });

  it('leaves escapes, unusual keys and every respelling to the general path', () => {
    const plain = head({ 'data.content': 'hello' });
    const unusual = [
      head({ 'data.content': 'a "quoted" word\nand a new line' }),
      plain.replace('"texts":{', '"texts":{"7":"x",'),
      plain.replace('"texts":{', '"texts":{"__proto__":"x",'),
      plain.replace('"t":"event","room":"room-a"', '"room":"room-a","t":"event"'),
    ];
    // what the general path refuses: not JSON, or not what JSON.stringify writes
    const respelled = [
      plain.replace('hello', 'hel\tlo'),
      plain.replace('"ri":3', '"ri":03'),
      plain.replace('"ri":3', '"ri":3.0'),
      plain.replace('"ri":3', '"ri": 3'),
      plain.replace('"texts":{', '"texts":{"data.content":"other",'),
    ];
    for (const text of [...unusual, ...respelled]) expect(eventLineHead(text), text).toBeNull();
    for (const text of respelled) expect(generalAccepts(text), text).toBe(false);
  });
});
