// What SendMessage and EditMessage need for escalation (moderateMessage.ts): how many times a user broke a
// `block` or `bounce` rule in a room lately, across every node. The Redis implementation is in
// src/limits/violationCounter.ts.

export type Escalation = {
  counter: ViolationCounter;
  /** this many violations within `windowMs` mute the user in the room */
  violations: number;
  windowMs: number;
  /** for this long, by the moderation policy (the timed-unmute job ends it) */
  muteMs: number;
};

export type ViolationCounter = {
  /** counts one violation (the same id twice counts once) and answers the user's count in the window */
  record(violation: { roomId: string; userId: string; id: string }, windowMs: number): Promise<number>;
};
