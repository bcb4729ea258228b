// Operations: projection status (position, lag, state, rebuild progress — the same numbers the CLI's
// progress bar shows) and a rebuild request. Only tokens with the `ops` role get past the guard; for
// everyone else these paths do not exist (404), like any resource they may not see.
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jobQueueStatuses } from '../jobs/jobStatus.ts';
import { JOBS } from '../jobs/registry.ts';
import { jobQueue } from '../jobs/startJobs.ts';
import { requestRebuild } from '../projections/checkpoints.ts';
import { projectionStatus } from '../projections/projectionStatus.ts';
import { PROJECTIONS, projectionNamed } from '../projections/registry.ts';
import { notFound } from './problems.ts';

const RebuildSchema = z.object({
  state: z.string(),
  position: z.string(),
  events_processed: z.number().int(),
  progress: z.number().min(0).max(1).describe('0..1: how far through the store the rebuild is'),
  started_at: z.string(),
  events_per_second: z.number(),
});

const ProjectionStatusSchema = z
  .object({
    name: z.string(),
    state: z.enum(['running', 'rebuilding', 'stopped', 'not_started']),
    version: z.number().int().nullable(),
    code_version: z.number().int(),
    generation: z.string().nullable().describe('the read-model generation queries read; a rebuild swaps it'),
    position: z.string().describe('last event store position projected'),
    head: z.string().nullable().describe('last event store position written'),
    lag: z.number().int().describe('events the projection is behind the head'),
    updated_at: z.string().nullable(),
    rebuild: RebuildSchema.nullable(),
  })
  .meta({ id: 'ProjectionStatus' });

const JobQueueStatusSchema = z
  .object({
    name: z.string(),
    waiting: z.number().int().describe('queue depth: jobs due and waiting for a worker'),
    active: z.number().int().describe('jobs a worker is running now'),
    delayed: z.number().int().describe('jobs due later (the ends of timed mutes and silences)'),
    failed: z.number().int().describe('jobs that failed all their attempts, kept for ops to retry'),
    stalled: z
      .number()
      .int()
      .describe(
        'jobs found stalled (their worker died or hung; they ran again), since Redis last lost its data',
      ),
  })
  .meta({ id: 'JobQueueStatus' });

/**
 * Every queue of the job registry as the workers take from them (whichever processes run the workers),
 * on a Redis connection of its own, closed with the app.
 */
export function registryQueues(fastify: FastifyInstance, connectionName: string) {
  const connection = fastify.redisConnection('jobs', connectionName);
  const queues = JOBS.map((job) => jobQueue(connection, fastify.config, job.name));
  fastify.addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await connection.quit().catch(() => connection.disconnect());
  });
  return { connection, queues };
}

export const opsRoutes: FastifyPluginAsyncZod = async (fastify) => {
  // onRequest, not preHandler: a non-ops user's malformed request is the same 404, never a 400
  fastify.addHook('onRequest', async (request) => {
    if (!request.user.roles.includes('ops')) throw notFound('Resource');
  });

  // the queues as the workers take from them (whichever processes run the workers), for their counts
  const { connection, queues } = registryQueues(fastify, 'ops-jobs');

  fastify.get(
    '/jobs/',
    {
      schema: {
        tags: ['ops'],
        operationId: 'listJobQueues',
        summary:
          'Job queues: waiting (depth), active, delayed, failed and stalled counts per queue (ops role)',
        response: { 200: z.object({ queues: z.array(JobQueueStatusSchema) }) },
        problems: ['not_found'],
      },
    },
    async () => ({ queues: await jobQueueStatuses(queues, connection, fastify.config) }),
  );

  fastify.get(
    '/projections/',
    {
      schema: {
        tags: ['ops'],
        operationId: 'listProjections',
        summary: 'Projection status: position, head, lag, state and rebuild progress (ops role)',
        response: { 200: z.object({ projections: z.array(ProjectionStatusSchema) }) },
        problems: ['not_found'],
      },
    },
    async () => {
      const statuses = await projectionStatus(fastify.pg, fastify.eventStore, PROJECTIONS);
      return {
        projections: statuses.map((status) => ({
          name: status.name,
          state: status.state,
          version: status.version,
          code_version: status.codeVersion,
          generation: status.generation,
          position: status.position,
          head: status.head,
          lag: status.lag,
          updated_at: status.updatedAt,
          rebuild: status.rebuild && {
            state: status.rebuild.state,
            position: status.rebuild.position,
            events_processed: status.rebuild.eventsProcessed,
            progress: status.rebuild.progress,
            started_at: status.rebuild.startedAt,
            events_per_second: status.rebuild.eventsPerSecond,
          },
        })),
      };
    },
  );

  fastify.post(
    '/projections/rebuild/',
    {
      schema: {
        tags: ['ops'],
        operationId: 'rebuildProjections',
        summary: 'Request a zero-downtime rebuild of read models (ops role); progress on GET /projections/',
        body: z
          .strictObject({
            projections: z
              .array(z.enum(PROJECTIONS.map((projection) => projection.name) as [string, ...string[]]))
              .min(1)
              .optional()
              .describe('the projections to rebuild; omitted: all of them'),
          })
          .nullish(),
        response: {
          202: z.object({
            requested: z.boolean().describe('false when every rebuild asked for is already under way'),
            projections: z.array(
              z.object({
                name: z.string(),
                requested: z.boolean().describe('false when it was already requested or running'),
              }),
            ),
          }),
        },
        problems: ['not_found'],
      },
    },
    async (request, reply) => {
      const names = request.body?.projections ?? PROJECTIONS.map((projection) => projection.name);
      const projections = [];
      for (const name of names) {
        projections.push({ name, requested: await requestRebuild(fastify.pg, projectionNamed(name)!) });
      }
      return reply.code(202).send({ requested: projections.some((p) => p.requested), projections });
    },
  );
};
