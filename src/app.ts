// The composition root: external services first (PostgreSQL, Redis, event store), then app plugins
// (errors, auth, OpenAPI, attachment storage), then realtime, then routes. Everything is wired from config;
// `overrides` lets tests and main.ts hand in what they own (and close themselves).
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { attachmentRoutes } from './api/attachments.ts';
import { auditRoutes } from './api/audit.ts';
import { commandStatePlugin } from './api/commandContext.ts';
import { healthRoutes } from './api/health.ts';
import { serializeReply, serializeRequest } from './api/logging.ts';
import { messageRoutes } from './api/messages.ts';
import { moderationRuleRoutes } from './api/moderationRules.ts';
import { opsRoutes } from './api/ops.ts';
import { opsBoardRoutes } from './api/opsBoard.ts';
import { participantRoutes } from './api/participants.ts';
import { asyncApiPlugin } from './api/plugins/asyncApi.ts';
import { authenticate, authPlugin } from './api/plugins/auth.ts';
import { errorsPlugin, problemFor, sendProblem } from './api/plugins/errors.ts';
import { infrastructurePlugin } from './api/plugins/infrastructure.ts';
import { metricsPlugin } from './api/plugins/metrics.ts';
import { moderationPolicyPlugin } from './api/plugins/moderationPolicy.ts';
import { openApiPlugin } from './api/plugins/openapi.ts';
import { limitAnonymousRequest, limitUserRequest, rateLimitsPlugin } from './api/plugins/rateLimits.ts';
import { storagePlugin } from './api/plugins/storage.ts';
import { presenceRoutes } from './api/presence.ts';
import { privacyRoutes } from './api/privacy.ts';
import { roomRoutes } from './api/rooms.ts';
import { safetyRoutes } from './api/safety.ts';
import { searchRoutes } from './api/search.ts';
import { webPageRoutes } from './api/webPage.ts';
import { webSignInRoutes } from './api/webSignIn.ts';
import { createTokenVerifier, type TokenVerifier } from './auth/tokenVerifier.ts';
import type { Config } from './config.ts';
import type { EventStore } from './eventstore/eventStore.ts';
import { type ConnectionGuard, guardConnections } from './http/connectionGuard.ts';
import { responseHeadersPlugin } from './http/responseHeaders.ts';
import { httpServerOptions } from './http/serverLimits.ts';
import { createInfrastructure } from './infrastructure/createInfrastructure.ts';
import { type JobsHandle, startJobs } from './jobs/startJobs.ts';
import { type ProjectionsHandle, startProjections } from './projections/projectionRunner.ts';
import { PROJECTIONS } from './projections/registry.ts';
import { type RealtimeLimits, realtimePlugin } from './realtime/realtimePlugin.ts';
import { createRedisChangePublisher } from './realtime/redisChangePublisher.ts';
import type { AttachmentStorage } from './storage/attachmentStorage.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** the per-address cap on unauthenticated connections: REST and WebSocket authentication release them */
    connectionGuard: ConnectionGuard;
  }
}

export type AppOverrides = {
  pool?: pg.Pool;
  redis?: Redis;
  eventStore?: EventStore;
  storage?: AttachmentStorage;
  verifyToken?: TokenVerifier;
  /** WebSocket limits (tests shorten heartbeats, buffers and deadlines) */
  realtimeLimits?: Partial<RealtimeLimits>;
  /** logger options merged over the defaults (tests pass a `stream` to capture log lines) */
  logger?: Exclude<FastifyServerOptions['logger'], boolean>;
};

/** JSON bodies are small (a message is at most a few KiB); uploads have their own limit. */
const JSON_BODY_LIMIT = 64 * 1024;

export async function buildApp(config: Config, overrides: AppOverrides = {}) {
  const app = Fastify({
    ...httpServerOptions(config),
    logger: {
      level: config.LOG_LEVEL,
      ...overrides.logger,
      serializers: { req: serializeRequest, res: serializeReply },
    },
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: JSON_BODY_LIMIT,
    // request ids double as the correlation id of the events a request records
    genReqId: () => randomUUID(),
    // what the router refuses before any route (a path that is not valid percent-encoding, a path
    // parameter over its length) is problem+json like every other refusal
    frameworkErrors: (error, request, reply) => sendProblem(reply, problemFor(error, request)),
  }).withTypeProvider<ZodTypeProvider>();
  // JSON only (uploads register multipart on their own route): anything else is a 415, not a string body
  app.removeContentTypeParser('text/plain');
  // an empty JSON body is no body: generated clients (openapi-generator, swagger-typescript-api) send
  // `Content-Type: application/json` with nothing for an optional body (mark-read's "everything"); a route
  // whose body is required still refuses it, in validation, naming the body
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    return parseJson(request, text, done);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', config);
  const connectionGuard = guardConnections(
    app.server,
    config.HTTP_MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP,
    app.log,
  );
  app.decorate('connectionGuard', connectionGuard);
  await app.register(responseHeadersPlugin);

  // ── infrastructure (src/infrastructure): PostgreSQL, Redis, the event store ─────────────────────────
  const infrastructure = await createInfrastructure(config, {
    process: 'app',
    logger: app.log,
    ...(overrides.pool ? { pool: overrides.pool } : {}),
    ...(overrides.redis ? { redis: overrides.redis } : {}),
    ...(overrides.eventStore ? { eventStore: overrides.eventStore } : {}),
  });
  await app.register(infrastructurePlugin, { infrastructure });

  // ── app plugins ─────────────────────────────────────────────────────────────────────────────────────
  await app.register(errorsPlugin);
  await app.register(authPlugin, { verifyToken: overrides.verifyToken ?? createTokenVerifier(config) });
  await app.register(rateLimitsPlugin);
  await app.register(openApiPlugin);
  await app.register(asyncApiPlugin);
  await app.register(metricsPlugin, { config });
  await app.register(storagePlugin, { directory: config.ATTACHMENTS_DIR, storage: overrides.storage });
  await app.register(commandStatePlugin);
  await app.register(moderationPolicyPlugin);

  // ── realtime (src/realtime): WebSocket endpoints and Redis fan-out register here ───────────────────────
  await app.register(realtimePlugin, { config, limits: overrides.realtimeLimits, connectionGuard });
  // after @fastify/websocket's own hook, which marks a handshake so that a refused one is closed
  app.addHook('onRequest', limitAnonymousRequest);

  // ── routes ──────────────────────────────────────────────────────────────────────────────────────────
  await app.register(healthRoutes);
  // the chatbox: its page and assets at /, and how it signs in
  await app.register(webPageRoutes);
  await app.register(webSignInRoutes);
  // the job board (bull-board) for ops, read-only for moderators, behind a cookie of its own
  await app.register(opsBoardRoutes);
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticate);
      api.addHook('onRequest', limitUserRequest);
      await api.register(roomRoutes);
      await api.register(messageRoutes);
      await api.register(searchRoutes);
      await api.register(presenceRoutes);
      await api.register(participantRoutes);
      await api.register(safetyRoutes);
      await api.register(attachmentRoutes);
    },
    { prefix: '/api/chat' },
  );
  await app.register(
    async (moderation) => {
      moderation.addHook('onRequest', authenticate);
      moderation.addHook('onRequest', limitUserRequest);
      await moderation.register(moderationRuleRoutes);
    },
    { prefix: '/api/moderation' },
  );
  await app.register(
    async (ops) => {
      ops.addHook('onRequest', authenticate);
      ops.addHook('onRequest', limitUserRequest);
      await ops.register(opsRoutes);
    },
    { prefix: '/api/ops' },
  );
  await app.register(
    async (audit) => {
      audit.addHook('onRequest', authenticate);
      audit.addHook('onRequest', limitUserRequest);
      await audit.register(auditRoutes);
    },
    { prefix: '/api/audit' },
  );
  await app.register(
    async (privacy) => {
      privacy.addHook('onRequest', authenticate);
      privacy.addHook('onRequest', limitUserRequest);
      await privacy.register(privacyRoutes);
    },
    { prefix: '/api/privacy' },
  );
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/** The projector for this app's stores; its batches fan out to every realtime node through Redis. */
export function startAppProjections(app: App): Promise<ProjectionsHandle> {
  return startProjections({
    pool: app.pg,
    eventStore: app.eventStore,
    projections: PROJECTIONS,
    publisher: createRedisChangePublisher(app.redis, app.config.REDIS_PREFIX, app.log),
    logger: app.log,
  });
}

/** The job workers and their producer (src/jobs/registry.ts) on this app's stores, as `npm start` runs them. */
export function startAppJobs(app: App): JobsHandle {
  return startJobs({
    config: app.config,
    pool: app.pg,
    eventStore: app.eventStore,
    logger: app.log,
    redisConnection: app.redisConnection,
    forgetCachedKeys: app.forgetCachedKeys,
  });
}
