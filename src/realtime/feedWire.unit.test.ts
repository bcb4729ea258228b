import { describe, expect, it } from 'vitest';
import type { FeedFrame } from '../contract/frames.ts';
import type { FeedEntry } from '../projections/changeFeed.ts';
import { decodeWire, encodeWire, feedEntryToWire } from './feedWire.ts';

/** the wire does not look into frames: a partial one stands for any */
const entry = (frame: object, delivery: Partial<FeedEntry> = {}): FeedEntry => ({
  roomId: 'r',
  seq: (frame as { seq: number }).seq,
  position: 'p',
  frame: frame as FeedFrame,
  subject: null,
  revokes: false,
  ...delivery,
});

describe('feed wire format', () => {
  it('round-trips an entry and keeps the frame text byte for byte', () => {
    const frame = {
      type: 'chat_message',
      room_id: 'r',
      seq: 7,
      message: { content: 'line\nbreak | and \\n' },
    };
    const decoded = decodeWire(encodeWire(feedEntryToWire(entry(frame))));
    expect(decoded).toEqual({
      seq: 7,
      type: 'chat_message',
      subject: '',
      revokes: false,
      messageSeq: 0,
      frameText: JSON.stringify(frame),
    });
    expect(JSON.parse(decoded!.frameText)).toEqual(frame);
  });

  it('carries the seq of the message a frame is about in a joined room, so nodes filter without parsing', () => {
    const frame = { type: 'reaction_added', room_id: 'r', seq: 9, message_id: 'm', emoji: '👍' };
    const wire = feedEntryToWire(entry(frame, { messageSeq: 4 }));
    expect(decodeWire(encodeWire(wire))).toMatchObject({
      seq: 9,
      messageSeq: 4,
      frameText: JSON.stringify(frame),
    });
  });

  it('carries who a frame is about and whether it ends their access, as the projector set them', () => {
    const removed = { type: 'participant_removed', seq: 3, participant: { user: { id: '42' } } };
    const wire = feedEntryToWire(entry(removed, { subject: '42', revokes: true }));
    expect(decodeWire(encodeWire(wire))).toMatchObject({ subject: '42', revokes: true });
    // the type alone decides nothing: a frame the projector marked as no revocation is none
    const renamed = feedEntryToWire(entry({ ...removed, type: 'participant_gone' }, { subject: '42' }));
    expect(decodeWire(encodeWire(renamed))).toMatchObject({ subject: '42', revokes: false });
  });

  it('rejects garbage instead of delivering it', () => {
    expect(decodeWire('hello')).toBeNull();
    expect(decodeWire('x\nchat_message\n\n0\n0\n{}')).toBeNull();
    expect(decodeWire('-1\nchat_message\n\n0\n0\n{}')).toBeNull();
    expect(decodeWire('1\nchat_message\n\n0\nx\n{}')).toBeNull();
    expect(decodeWire('1\nchat_message\n\n2\n0\n{}')).toBeNull(); // revokes is 0 or 1
    expect(decodeWire('1\nchat_message\n\n0\n{}')).toBeNull(); // a line short
  });
});
