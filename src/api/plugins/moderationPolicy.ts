// The moderation policy this node holds compiled (src/moderation/policyFollower.ts), as a decoration
// the REST routes and the sockets share; stopped with the app.
import fp from 'fastify-plugin';
import { followModerationPolicy, type PolicyFollower } from '../../moderation/policyFollower.ts';

declare module 'fastify' {
  interface FastifyInstance {
    moderationPolicy: PolicyFollower;
  }
}

export const moderationPolicyPlugin = fp(
  async (fastify) => {
    const follower = await followModerationPolicy(fastify.eventStore, fastify.log);
    fastify.decorate('moderationPolicy', follower);
    fastify.addHook('onClose', async () => follower.stop());
  },
  { name: 'moderation-policy', dependencies: ['infrastructure'] },
);
