// Who issues a command: the user from the access token, or a server process acting with a role.
import type { UserId } from './events.ts';

export type Role = 'moderator' | 'auditor' | 'ops' | 'privacy_officer';

export type Actor = {
  userId: UserId;
  username?: string;
  roles: readonly Role[];
};

/** Everything a decide function needs besides the command and state: never the clock of its own. */
export type WhoAndWhen = { actor: Actor; now: Date };

/**
 * The service itself, when a job acts on its own (a timed mute ending, say). Its id has a ':' that no
 * token's user id may carry (USER_ID_PATTERN), so nobody can act, or be recorded, as it.
 */
export const SYSTEM_ACTOR: Actor = { userId: 'system:jobs', username: 'System', roles: [] };

/** The moderation policy, when it flags, blocks or bounces a message (recorded as the actor of that outcome). */
export const MODERATION_ACTOR: Actor = {
  userId: 'system:moderation',
  username: 'Moderation',
  // it mutes as a moderator does when a user keeps breaking the rules (escalation)
  roles: ['moderator'],
};

export const isModerator = (actor: Actor) => actor.roles.includes('moderator');
/** Moderators and the server's own pipelines (ops): may hide/restore messages and post system messages. */
export const isModerationPipeline = (actor: Actor) => isModerator(actor) || actor.roles.includes('ops');
/** Who may erase a person's data, place and release legal holds (docs/privacy.md): ops and privacy officers. */
export const isPrivacyOfficer = (actor: Actor) =>
  actor.roles.includes('privacy_officer') || actor.roles.includes('ops');
