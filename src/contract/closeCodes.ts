// The WebSocket close codes, apart from the frame schemas so that a client bundle gets them without zod.

/** Close codes. 1xxx are the standard ones ws uses itself; 4xxx are ours and mean "do not just retry". */
export const CLOSE = {
  /** server shutting down or the fan-out (Redis) was interrupted: reconnect with last_seq and resume */
  serviceRestart: 1012,
  /** a malformed connection request (e.g. last_seq that is not a number) */
  policyViolation: 1008,
  /** a frame larger than the limit (sent by ws itself) */
  frameTooLarge: 1009,
  internalError: 1011,
  /** no token, or a token that does not verify: get a new token before reconnecting */
  authFailed: 4001,
  /** no token arrived within the authentication deadline */
  authTimeout: 4002,
  /** not a participant of the room (or no such room), or removed from it / left it while connected */
  forbidden: 4003,
  /** the token expired while the socket was open: reconnect with a fresh token */
  tokenExpired: 4008,
  /** the client did not read fast enough; its send buffer passed the limit */
  slowConsumer: 4009,
  /** too many sockets open for this user */
  tooManySockets: 4029,
} as const;
