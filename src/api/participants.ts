import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const participantRoutes: FastifyPluginAsyncZod = async () => {};
