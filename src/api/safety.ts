import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const safetyRoutes: FastifyPluginAsyncZod = async () => {};
