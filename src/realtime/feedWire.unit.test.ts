import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, feedEntryToWire } from './feedWire.ts';

describe('feed wire format', () => {
  it('round-trips an entry and keeps the frame text byte for byte', () => {
    const frame = {
      type: 'chat_message',
      room_id: 'r',
      seq: 7,
      message: { content: 'line\nbreak | and \\n' },
    };
    const wire = feedEntryToWire({ roomId: 'r', seq: 7, position: 'p', frame });
    const decoded = decodeWire(encodeWire(wire));
    expect(decoded).toEqual({ seq: 7, type: 'chat_message', subject: '', frameText: JSON.stringify(frame) });
    expect(JSON.parse(decoded!.frameText)).toEqual(frame);
  });

  it('names the user a removal or a read receipt is about', () => {
    const removed = { type: 'participant_removed', participant: { user: { id: '42' } } };
    expect(feedEntryToWire({ roomId: 'r', seq: 3, position: 'p', frame: removed }).subject).toBe('42');
    const receipt = { type: 'read_receipt', user_id: 'u1', message_id: 'm' };
    expect(feedEntryToWire({ roomId: 'r', seq: 4, position: 'p', frame: receipt }).subject).toBe('u1');
  });

  it('rejects garbage instead of delivering it', () => {
    expect(decodeWire('hello')).toBeNull();
    expect(decodeWire('x\nchat_message\n\n{}')).toBeNull();
    expect(decodeWire('-1\nchat_message\n\n{}')).toBeNull();
  });
});
