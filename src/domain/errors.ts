// The one error type of the domain: an illegal command for the current state. `code` is stable (clients and
// the REST/WebSocket layers switch on it: REST maps it to an HTTP status); `message` is for humans.

export const DOMAIN_ERROR_CODES = [
  // something the command refers to does not exist (room, message, report)
  'not_found',
  // the input is malformed (bad room name, slow mode out of range, bad mute date, empty reason, ...)
  'invalid_input',
  'invalid_room_type',
  'direct_room_requires_one_other_user',
  // direct rooms have a fixed pair of members: no adding, removing, leaving, admins, renaming or archiving
  'not_allowed_in_direct_room',
  // membership and roles
  'not_a_participant',
  'not_room_admin',
  'forbidden',
  'last_admin',
  'participant_muted',
  'room_archived',
  // messages
  'content_required',
  'message_too_long',
  'attachment_required',
  'attachment_too_large',
  'attachment_type_not_allowed',
  'invalid_reply_to',
  'idempotency_conflict',
  'not_message_sender',
  'message_deleted',
  'message_hidden',
  // the moderation policy refused the text (a `bounce` rule: moderationOutcomes.ts)
  'message_bounced',
  // safety
  'user_blocked',
  'cannot_block_self',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
