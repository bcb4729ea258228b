// Who issues a command: the user from the access token, or a server process acting with a role.
import type { UserId } from './events.ts';

export type Role = 'moderator' | 'auditor' | 'ops';

export type Actor = {
  userId: UserId;
  username?: string;
  roles: readonly Role[];
};

/** Everything a decide function needs besides the command and state: never the clock of its own. */
export type DecideContext = { actor: Actor; now: Date };

export const isModerator = (actor: Actor) => actor.roles.includes('moderator');
/** Moderators and the server's own pipelines (ops): may hide/restore messages and post system messages. */
export const isModerationPipeline = (actor: Actor) => isModerator(actor) || actor.roles.includes('ops');
