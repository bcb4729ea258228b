// What the projector hands to the realtime layer after each committed batch. Projections know no
// transport: realtime implements ChangePublisher (Redis pub/sub) and delivers `frame` to the room's sockets.
// Who a frame goes to is decided here, when it is projected (subject, revokes, messageSeq), never
// re-derived by realtime from frame types.
import type { FeedFrame, NoticeFrame } from '../contract/frames.ts';

/** One change a room's participants can see, numbered per room in global order (`seq`). */
export type FeedEntry = {
  roomId: string;
  /** per-room feed sequence: gap-free, starts at 1, the cursor clients resume from (`last_seq`) */
  seq: number;
  /** encoded event store position of the event that produced it (see encodePosition) */
  position: string;
  /** the server frame exactly as sent on the wire (src/contract/frames.ts) */
  frame: FeedFrame;
  /**
   * the user whose delivery the frame concerns (who left or was removed, whose read marker moved), null
   * for frames about nobody in particular
   */
  subject: string | null;
  /** the frame is the subject's last of this room: their access ends once it is delivered */
  revokes: boolean;
  /**
   * In a room whose history is `joined`: the seq of the message the frame shows or is about (a message
   * frame, a reaction, a read receipt). Only members whose membership windows include it get the frame.
   * Absent in `shared` rooms and on frames about no message.
   */
  messageSeq?: number;
};

/**
 * A change one user's room list shows (added to a room, or out of one), for the user's sockets whatever
 * rooms they subscribed to. Not part of any room's feed (no seq, not kept): a hint that saves the client
 * re-listing its rooms, which stays the way to learn them after a reconnect.
 */
export type UserNotice = {
  userId: string;
  /** encoded event store position of the event that produced it */
  position: string;
  frame: NoticeFrame;
};

export interface ChangePublisher {
  /**
   * called once per committed batch, entries in commit order (and the batch's notices to users, when
   * it has any); must not throw for transport errors
   */
  publish(entries: readonly FeedEntry[], notices?: readonly UserNotice[]): Promise<void>;
}

/** For processes that project but serve no sockets (CLI rebuilds, benchmarks). */
export const discardChanges: ChangePublisher = { publish: async () => {} };
