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
    expect(decoded).toEqual({
      seq: 7,
      type: 'chat_message',
      subject: '',
      messageSeq: 0,
      frameText: JSON.stringify(frame),
    });
    expect(JSON.parse(decoded!.frameText)).toEqual(frame);
  });

  it('carries the seq of the message a frame is about in a joined room, so nodes filter without parsing', () => {
    const frame = { type: 'reaction_added', room_id: 'r', seq: 9, message_id: 'm', emoji: '👍' };
    const wire = feedEntryToWire({ roomId: 'r', seq: 9, position: 'p', frame, messageSeq: 4 });
    expect(decodeWire(encodeWire(wire))).toMatchObject({
      seq: 9,
      messageSeq: 4,
      frameText: JSON.stringify(frame),
    });
  });

  it('names the user a removal or a read receipt is about', () => {
    const removed = { type: 'participant_removed', participant: { user: { id: '42' } } };
    expect(feedEntryToWire({ roomId: 'r', seq: 3, position: 'p', frame: removed }).subject).toBe('42');
    const receipt = { type: 'read_receipt', user_id: 'u1', message_id: 'm' };
    expect(feedEntryToWire({ roomId: 'r', seq: 4, position: 'p', frame: receipt }).subject).toBe('u1');
  });

  it('rejects garbage instead of delivering it', () => {
    expect(decodeWire('hello')).toBeNull();
    expect(decodeWire('x\nchat_message\n\n0\n{}')).toBeNull();
    expect(decodeWire('-1\nchat_message\n\n0\n{}')).toBeNull();
    expect(decodeWire('1\nchat_message\n\nx\n{}')).toBeNull();
    expect(decodeWire('1\nchat_message\n\n{}')).toBeNull(); // a line short
  });
});
