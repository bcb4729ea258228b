// Liveness and readiness for load balancers and orchestrators (no auth). /healthz: the process answers.
// /readyz: PostgreSQL, Redis and the event store answer, and the projections are not too far behind.
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectionStatus } from '../projections/projectionStatus.ts';
import { PROJECTIONS } from '../projections/registry.ts';

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      database: CheckSchema,
      redis: CheckSchema,
      event_store: CheckSchema,
      projections: CheckSchema,
    }),
  })
  .meta({ id: 'Readiness' });

/** A dependency that does not answer within this long counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

export const healthRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/healthz',
    {
      // a balancer's probes must be answered, however many share an address
      config: { rateLimit: 'none' },
      schema: {
        tags: ['health'],
        security: [],
        operationId: 'getLiveness',
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/readyz',
    {
      // a balancer's probes must be answered, however many share an address
      config: { rateLimit: 'none' },
      schema: {
        tags: ['health'],
        security: [],
        operationId: 'getReadiness',
        summary: 'Readiness: dependencies reachable and projections within the allowed lag',
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const [database, redis, eventStore, projections] = await Promise.all([
        check(() => fastify.pg.query('SELECT 1')),
        check(() => fastify.redis.ping()),
        check(() => fastify.eventStore.headPosition()),
        check(() => projectionsWithinLag(fastify)),
      ]);
      const checks = { database, redis, event_store: eventStore, projections };
      const ready = Object.values(checks).every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
};

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof CheckSchema>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Fails when a live projection is not running or further behind the store's head than the allowed lag. */
async function projectionsWithinLag(fastify: FastifyInstance): Promise<string | undefined> {
  const maxLag = fastify.config.READY_MAX_PROJECTION_LAG;
  for (const status of await projectionStatus(fastify.pg, fastify.eventStore, PROJECTIONS)) {
    if (status.state === 'stopped' || status.state === 'not_started') {
      throw new Error(`projection ${status.name} is ${status.state}`);
    }
    if (status.lag > maxLag)
      throw new Error(`projection ${status.name} is ${status.lag} events behind (max ${maxLag})`);
  }
  return undefined;
}
