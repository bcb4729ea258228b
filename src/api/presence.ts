// Presence over REST: your own invisible setting, and one user's presence when you share a room with them
// (404 otherwise, as for anything hidden). Participant lists carry each participant's (participants.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PresenceJsonSchema } from '../contract/resources.ts';
import { isInvisible } from '../presence/presenceSettings.ts';
import { presenceOf } from '../presence/presenceView.ts';
import { shareARoom } from '../projections/chat/queries/sharedRooms.ts';
import { notFound } from './problems.ts';
import { UserIdSchema } from './schemas.ts';

const invisible = z.boolean().describe('everyone sees you offline, with no last seen; you still see them');
const PresenceSettings = z.object({ invisible }).meta({ id: 'PresenceSettings' });
const SetPresenceSettings = z.strictObject({ invisible }).meta({ id: 'SetPresenceSettings' });

export const presenceRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;

  fastify.get(
    '/presence/',
    {
      schema: {
        tags: ['presence'],
        operationId: 'getPresenceSettings',
        summary: 'Your presence settings',
        response: { 200: PresenceSettings },
      },
    },
    async (request) => ({ invisible: await isInvisible(db, request.user.userId) }),
  );

  fastify.put(
    '/presence/',
    {
      schema: {
        tags: ['presence'],
        operationId: 'setPresenceSettings',
        summary: 'Set your presence settings (invisible), on every device',
        body: SetPresenceSettings,
        response: { 200: PresenceSettings },
      },
    },
    async (request) => {
      await fastify.presence.setInvisible(request.user.userId, request.body.invisible);
      return { invisible: request.body.invisible };
    },
  );

  fastify.get(
    '/users/:user_id/presence/',
    {
      schema: {
        tags: ['presence'],
        summary: 'A user’s presence: only someone you share a room with (404 for anyone else)',
        operationId: 'getUserPresence',
        params: z.object({ user_id: UserIdSchema }),
        response: { 200: PresenceJsonSchema },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const userId = request.params.user_id;
      if (userId !== request.user.userId && !(await shareARoom(db, request.user.userId, userId))) {
        throw notFound('User');
      }
      return (await presenceOf(db, fastify.presence.store, [userId])).get(userId)!;
    },
  );
};
