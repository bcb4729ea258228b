import { describe, expect, it } from 'vitest';
import { parseClientFrame } from './protocol.ts';

const ROOM = '0b6f2d4e-8a1c-4f3e-9d2b-5c6a7e8f9a0b';

describe('parseClientFrame', () => {
  it('accepts the seed client frames as they are sent', () => {
    expect(parseClientFrame('{"type":"chat_message","message":"Hello!"}')).toEqual({
      ok: true,
      frame: { type: 'chat_message', message: 'Hello!' },
    });
    expect(parseClientFrame(`{"type":"chat_message","message":"re","reply_to":"${ROOM}"}`).ok).toBe(true);
    expect(parseClientFrame('{"type":"typing","is_typing":true}').ok).toBe(true);
    expect(parseClientFrame(`{"type":"read_receipt","message_id":"${ROOM}"}`).ok).toBe(true);
    expect(parseClientFrame('{"type":"mark_room_read"}').ok).toBe(true);
  });

  it('ignores unknown fields instead of refusing newer clients', () => {
    const parsed = parseClientFrame('{"type":"typing","is_typing":false,"device":"ios"}');
    expect(parsed).toEqual({ ok: true, frame: { type: 'typing', is_typing: false } });
  });

  it.each([
    ['not json', 'hello', 'invalid_json'],
    ['truncated json', '{"type":"typing"', 'invalid_json'],
    ['an array', '[1,2]', 'invalid_frame'],
    ['a string', '"chat_message"', 'invalid_frame'],
    ['no type', '{"message":"hi"}', 'unknown_type'],
    ['an unknown type', '{"type":"delete_everything"}', 'unknown_type'],
    ['a prototype key as type', '{"type":"constructor"}', 'unknown_type'],
    ['a missing field', '{"type":"chat_message"}', 'invalid_frame'],
    ['a wrong field type', '{"type":"typing","is_typing":"yes"}', 'invalid_frame'],
    [
      'an object where an id belongs',
      '{"type":"read_receipt","message_id":{"$regex":".*"}}',
      'invalid_frame',
    ],
    ['a non-uuid room id', '{"type":"subscribe","room_id":"../etc"}', 'invalid_frame'],
    ['a negative last_seq', `{"type":"subscribe","room_id":"${ROOM}","last_seq":-1}`, 'invalid_frame'],
  ])('refuses %s with a stable code', (_name, text, code) => {
    const parsed = parseClientFrame(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe(code);
  });

  it.each([
    ['a NUL in a message', '{"type":"chat_message","message":"a\\u0000b"}', 'message'],
    ['a lone surrogate in a message', '{"type":"chat_message","message":"\\ud83d"}', 'message'],
    ['an escape sequence in a message', '{"type":"chat_message","message":"\\u001b[2J"}', 'message'],
    [
      'a bidi override in a client_id',
      '{"type":"chat_message","message":"hi","client_id":"a\\u202e"}',
      'client_id',
    ],
    ['a NUL in a token', '{"type":"authenticate","token":"\\u0000"}', 'token'],
  ])('refuses %s with invalid_text, naming the field', (_name, text, field) => {
    expect(parseClientFrame(text)).toMatchObject({ ok: false, code: 'invalid_text', field });
  });

  it("gives back a refused chat_message's own client_id when it is a valid one", () => {
    const refused = parseClientFrame('{"type":"chat_message","message":"\\u0000","client_id":"c-1"}');
    expect(refused).toMatchObject({ ok: false, code: 'invalid_text', clientId: 'c-1' });
    const noId = parseClientFrame('{"type":"chat_message","message":"\\u0000","client_id":"\\u0000"}');
    expect(noId).not.toHaveProperty('clientId');
  });

  it('keeps lines, tabs, emoji and every script in a message', () => {
    const message = 'שלום 👋\n\tمرحبا 中文 👨‍👩‍👧';
    expect(parseClientFrame(JSON.stringify({ type: 'chat_message', message }))).toEqual({
      ok: true,
      frame: { type: 'chat_message', message },
    });
  });

  it('names the offending field', () => {
    const parsed = parseClientFrame('{"type":"read_receipt"}');
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_frame', field: 'message_id' });
  });
});
