// How feed entries and typing indicators travel through Redis pub/sub: one channel per room, so Redis only
// sends a node the rooms it has sockets in (thousands of rooms, any number of nodes).
//
// A message is six lines: `seq \n type \n subject user id \n revokes (1 or 0) \n message seq \n frame
// JSON`. Nodes route on the first five, which the projector set (FeedEntry), without parsing the frame,
// and send the frame text to sockets as it is: no JSON work per delivery. seq 0 marks an ephemeral frame
// (typing) that is not part of the room's feed; message seq 0 a frame any member may get (see
// FeedEntry.messageSeq).
import type { FeedEntry, UserNotice } from '../projections/changeFeed.ts';
import { textFrame } from './clientSocket.ts';

export const roomChannel = (prefix: string, roomId: string) => `${prefix}rt:room:${roomId}`;
/** one user's notices (room_added, room_removed), for the user sockets of that user on any node */
export const userChannel = (prefix: string, userId: string) => `${prefix}rt:user:${userId}`;

export type WireMessage = {
  /** 0 for ephemeral frames */
  seq: number;
  type: string;
  /** the user the frame is about when that matters for delivery (who left, who read, who types), else '' */
  subject: string;
  /** delivering the frame ends the subject's access to the room (FeedEntry.revokes) */
  revokes: boolean;
  /** in a `joined` room, the seq of the message the frame is about: for members who may read it only */
  messageSeq?: number;
  frameText: string;
  /** the WebSocket frame once wsFrame built it */
  wsFrame?: Buffer;
};

/** The frame as sockets get it, built once however many sockets it goes to (a big room: a thousand). */
export function wsFrame(message: WireMessage): Buffer {
  message.wsFrame ??= textFrame(Buffer.from(message.frameText));
  return message.wsFrame;
}

export function encodeWire(message: WireMessage): string {
  return `${message.seq}\n${message.type}\n${message.subject}\n${message.revokes ? 1 : 0}\n${message.messageSeq ?? 0}\n${message.frameText}`;
}

export function decodeWire(text: string): WireMessage | null {
  const first = text.indexOf('\n');
  const second = text.indexOf('\n', first + 1);
  const third = text.indexOf('\n', second + 1);
  const fourth = text.indexOf('\n', third + 1);
  const fifth = text.indexOf('\n', fourth + 1);
  if (first < 0 || second < 0 || third < 0 || fourth < 0 || fifth < 0) return null;
  const seq = wireNumber(text.slice(0, first));
  const revokes = text.slice(third + 1, fourth);
  const messageSeq = wireNumber(text.slice(fourth + 1, fifth));
  if (seq === null || messageSeq === null || (revokes !== '0' && revokes !== '1')) return null;
  return {
    seq,
    type: text.slice(first + 1, second),
    subject: text.slice(second + 1, third),
    revokes: revokes === '1',
    messageSeq,
    frameText: text.slice(fifth + 1),
  };
}

function wireNumber(text: string): number | null {
  const value = Number(text);
  return text !== '' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** A notice travels like an ephemeral frame: seq 0, about its user. */
export function noticeToWire(notice: UserNotice): WireMessage {
  return {
    seq: 0,
    type: notice.frame.type,
    subject: notice.userId,
    revokes: false,
    frameText: JSON.stringify(notice.frame),
  };
}

export function feedEntryToWire(entry: FeedEntry): WireMessage {
  return {
    seq: entry.seq,
    type: entry.frame.type,
    subject: entry.subject ?? '',
    revokes: entry.revokes,
    messageSeq: entry.messageSeq ?? 0,
    frameText: JSON.stringify(entry.frame),
  };
}
