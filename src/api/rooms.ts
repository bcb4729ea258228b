import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const roomRoutes: FastifyPluginAsyncZod = async () => {};
