// The port SendMessage asks before it appends in a slow-mode room: one message per participant per
// `seconds`. The decider says whether slow mode applies to a send (src/domain/room.ts, slowModeSecondsFor);
// when the participant last sent is not in the room's events (each message is a stream of its own), so the
// slot is held outside the store, across every node (src/limits/slowModeGate.ts, on Redis).
export type SlowModeSlot = { roomId: string; userId: string; messageId: string; seconds: number };

export type SlowModeGate = {
  /**
   * takes the participant's slot for `seconds`, or throws (SlowModeActive) when another message holds it;
   * taking it again for the same message (a retried append) succeeds
   */
  reserve(slot: SlowModeSlot): Promise<void>;
  /** gives the slot back when the message it was taken for was not stored after all */
  release(slot: SlowModeSlot): Promise<void>;
};
