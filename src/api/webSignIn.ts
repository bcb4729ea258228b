// What the chatbox page asks the service before anyone is signed in: which sign-in it offers, and, only
// while the service runs with the published development secret, a development token for any user ("sign
// in as"). With a configured key the token route does not exist (404 like any unknown path).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mintAccessToken } from '../auth/developmentToken.ts';
import { NameText } from '../domain/text.ts';
import { UserIdSchema } from './schemas.ts';

const WebConfigSchema = z
  .object({
    development_sign_in: z.boolean().describe('POST /api/web/development-token/ exists'),
    login_url: z
      .string()
      .nullable()
      .describe('the Django backend’s token endpoint (SimpleJWT), if configured'),
    refresh_url: z.string().nullable(),
  })
  .meta({ id: 'WebConfig' });

const DevelopmentTokenBody = z.strictObject({
  user_id: UserIdSchema,
  username: NameText.trim().min(1).max(150),
});

/** a development token lives as long as a SimpleJWT access token by default */
const DEVELOPMENT_TOKEN_TTL_SECONDS = 3_600;

export const webSignInRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const config = fastify.config;
  fastify.get(
    '/api/web/config/',
    {
      schema: {
        tags: ['web'],
        security: [],
        operationId: 'getWebConfig',
        summary: 'How the chatbox signs in (no auth)',
        response: { 200: WebConfigSchema },
      },
    },
    async () => ({
      development_sign_in: config.usingDevelopmentSecret === true,
      login_url: config.CHAT_WEB_LOGIN_URL ?? null,
      refresh_url: config.CHAT_WEB_REFRESH_URL ?? null,
    }),
  );
  if (!config.usingDevelopmentSecret || !config.CHAT_JWT_SECRET) return;
  const secret = config.CHAT_JWT_SECRET;
  fastify.post(
    '/api/web/development-token/',
    {
      schema: {
        tags: ['web'],
        security: [],
        operationId: 'createDevelopmentToken',
        summary: 'A development access token for any user (only with the development secret)',
        body: DevelopmentTokenBody,
        response: { 200: z.object({ access: z.string(), expires_in: z.number().int() }) },
      },
    },
    async (request) => ({
      access: await mintAccessToken(secret, {
        userId: request.body.user_id,
        username: request.body.username,
        ttlSeconds: DEVELOPMENT_TOKEN_TTL_SECONDS,
        ...(config.CHAT_JWT_ISSUER ? { issuer: config.CHAT_JWT_ISSUER } : {}),
        ...(config.CHAT_JWT_AUDIENCE ? { audience: config.CHAT_JWT_AUDIENCE } : {}),
      }),
      expires_in: DEVELOPMENT_TOKEN_TTL_SECONDS,
    }),
  );
};
