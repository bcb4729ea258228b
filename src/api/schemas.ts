// Zod schemas the routes share besides the resources (src/contract/resources.ts): ids as clients send
// them, read-your-writes, and the write acknowledgement. Field names are the seed's (snake_case).
import { z } from 'zod';
import { USER_ID_PATTERN } from '../auth/tokenVerifier.ts';
import { Position } from '../contract/resources.ts';
import { NameText } from '../domain/text.ts';

/** The seed's clients send Django's integer ids as JSON numbers: accepted, and kept as text like all ids. */
const IntegerId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).transform(String);

export const UserIdSchema = z
  .union([
    z.string().regex(USER_ID_PATTERN, 'must be a uuid or an id of letters, digits, _ and - (at most 64)'),
    IntegerId,
  ])
  .describe(
    'user id: the `sub` (or SimpleJWT `user_id`) of that user’s access token; a number is read as text',
  );

/** An id in another system (a task, a property): text, or a Django integer id. */
export const ExternalIdSchema = z.union([NameText.trim().min(1).max(64), IntegerId]);

/** Every write answers with where its event landed in the global order (read-your-writes). */
export const WriteAck = { position: Position.describe('pass as ?wait_for= to see this write in reads') };

export const WaitForQuery = {
  wait_for: Position.optional().describe(
    'a position from a write: the read waits (up to a few seconds) until the read models include it',
  ),
};

/** Ack for writes that return no resource. */
export const AckSchema = z.object({ ok: z.literal(true), ...WriteAck }).meta({ id: 'Ack' });

/** Ack for a write that made (or found) a resource the read models do not show yet: its id, to fetch later. */
export const AcceptedSchema = z
  .object({ ok: z.literal(true), id: z.string(), ...WriteAck })
  .meta({ id: 'Accepted' });
