// Privacy (docs/privacy.md): erasure of a person's personal data, and legal holds that make it wait. Only tokens with the `ops` or
// `privacy_officer` role get past the guard; for everyone else these paths do not exist (404).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadAggregate } from '../commands/handleCommand.ts';
import { placeLegalHold } from '../commands/placeLegalHold.ts';
import { releaseLegalHold } from '../commands/releaseLegalHold.ts';
import { setRetentionPolicy } from '../commands/setRetentionPolicy.ts';
import { RoomType as RoomTypeSchema, Uuid } from '../contract/resources.ts';
import { isPrivacyOfficer } from '../domain/actor.ts';
import type { RetentionRule } from '../domain/events.ts';
import { MAX_RETENTION_DAYS, retentionPolicyAggregate } from '../domain/retention.ts';
import { RETENTION_POLICY_STREAM, timeOrderedId } from '../domain/streams.ts';
import { RETENTION_JOB, type RetentionRunData } from '../jobs/retention.ts';
import { jobQueue } from '../jobs/startJobs.ts';
import { type RetentionReport, runRetention } from '../privacy/applyRetention.ts';
import {
  type ErasureResult,
  eraseSubject,
  runReleasedErasures,
  type ShreddingDeps,
} from '../privacy/eraseSubject.ts';
import { createPostgresLegalHolds } from '../privacy/legalHolds.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { notFound } from './problems.ts';
import { UserIdSchema, WriteAck } from './schemas.ts';

const ErasureJson = z
  .object({
    id: Uuid,
    user_id: z.string(),
    status: z
      .enum(['erased', 'queued'])
      .describe('queued: a legal hold covers some of it; it runs on release'),
    held_by: z.array(Uuid).describe('the holds it waits for (empty once erased)'),
    keys_destroyed: z
      .number()
      .int()
      .describe('data keys destroyed: each a subject’s fields in one room on one day'),
    attachments_deleted: z.number().int().describe('files the person uploaded, deleted from storage'),
    ...WriteAck,
  })
  .meta({ id: 'Erasure' });

const Day = z.iso.date();

const RetentionMode = z
  .enum(['shred', 'delete'])
  .describe('shred: the messages stay as erased tombstones; delete: they read as deleted');

const RetentionRuleFields = {
  room_id: Uuid.nullable().describe('the room this rule is for; or give room_type'),
  room_type: RoomTypeSchema.nullable().describe('every room of this type without a rule of its own'),
  days: z.number().int().min(1).max(MAX_RETENTION_DAYS).describe('whole UTC days kept; older ones go'),
  mode: RetentionMode,
};

// a request may leave out room_id or room_type, an answer always has both: two shapes, each named (one
// zod schema with defaults would come out as RetentionRule and RetentionRuleInput)
const NewRetentionRule = z
  .strictObject({
    ...RetentionRuleFields,
    room_id: RetentionRuleFields.room_id.default(null),
    room_type: RetentionRuleFields.room_type.default(null),
  })
  .meta({ id: 'NewRetentionRule' });

const RetentionRuleJson = z.object(RetentionRuleFields).meta({ id: 'RetentionRule' });

const RetentionPolicyJson = z
  .object({ rules: z.array(RetentionRuleJson), revision: z.number().int() })
  .meta({ id: 'RetentionPolicy' });

const RetentionReportJson = z
  .object({
    today: Day,
    dry_run: z.boolean(),
    rooms: z.array(
      z.object({
        room_id: Uuid,
        room_type: RoomTypeSchema,
        mode: RetentionMode,
        cutoff: Day.describe('the days strictly before it go'),
        keys: z.number().int().describe('data keys destroyed (or that would be)'),
        held_keys: z.number().int().describe('keys of those days that legal holds keep'),
        messages: z.number().int(),
        attachments: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'RetentionReport' });

/** the BullMQ job states a run is shown in; any other (a state BullMQ adds later) reads as unknown */
const RUN_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

/** a run asked for over REST is the retention job of this id */
const runJobId = (runId: string) => `retention-run-${runId}`;

const RetentionRunJson = z
  .object({
    id: Uuid,
    state: z.enum([...RUN_STATES, 'unknown']),
    report: RetentionReportJson.nullable().describe('once completed'),
  })
  .meta({ id: 'RetentionRun' });

const ruleJson = (rule: RetentionRule) => ({
  room_id: rule.roomId,
  room_type: rule.roomType,
  days: rule.days,
  mode: rule.mode,
});

const reportJson = (report: RetentionReport) => ({
  today: report.today,
  dry_run: report.dryRun,
  rooms: report.rooms.map((room) => ({
    room_id: room.roomId,
    room_type: room.roomType,
    mode: room.mode,
    cutoff: room.cutoff,
    keys: room.keys,
    held_keys: room.heldKeys,
    messages: room.messages,
    attachments: room.attachments,
  })),
});

/** a real run's job, kept this long after it completed so its report can be read */
const KEEP_RUN_SECONDS = 7 * 86_400;

export const privacyRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const deps: ShreddingDeps = {
    pool: fastify.pg,
    legalHolds: createPostgresLegalHolds(fastify.pg),
    attachments: fastify.attachments,
    forgetCachedKeys: fastify.forgetCachedKeys,
  };

  fastify.addHook('onRequest', async (request) => {
    if (!isPrivacyOfficer(request.user)) throw notFound('Resource');
  });

  // a connection of its own, closed with the app (the queue does not close a connection it was given)
  const retentionConnection = fastify.redisConnection('jobs', 'retention-runs');
  const retentionQueue = jobQueue(retentionConnection, fastify.config, RETENTION_JOB);
  fastify.addHook('onClose', async () => {
    await retentionQueue.close();
    await retentionConnection.quit().catch(() => retentionConnection.disconnect());
  });

  fastify.get(
    '/retention/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'getRetentionPolicy',
        summary:
          'The retention policy: how long each room type or room keeps its messages (ops or privacy_officer role)',
        response: { 200: RetentionPolicyJson },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const { state, revision } = await loadAggregate(
        commandContext(request),
        retentionPolicyAggregate,
        RETENTION_POLICY_STREAM,
      );
      return { rules: state.rules.map(ruleJson), revision: Number(revision) };
    },
  );

  fastify.put(
    '/retention/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'setRetentionPolicy',
        summary:
          'Replace the retention policy (ops or privacy_officer role); a room’s own rule wins over its type’s, a room with neither keeps everything',
        body: z.strictObject({ rules: z.array(NewRetentionRule).max(1_000) }),
        response: { 200: z.object({ rules: z.array(RetentionRuleJson), ...WriteAck }) },
        problems: [...COMMAND_PROBLEMS, 'invalid_input'],
        responseHeaders: WRITE_HEADERS,
      },
    },
    async (request, reply) => {
      const rules: RetentionRule[] = request.body.rules.map((rule) => ({
        roomId: rule.room_id,
        roomType: rule.room_type,
        days: rule.days,
        mode: rule.mode,
      }));
      const set = await setRetentionPolicy(commandContext(request), { rules });
      return withPosition(reply, set.position, { rules: rules.map(ruleJson) });
    },
  );

  fastify.post(
    '/retention/runs/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'runRetention',
        summary:
          'Run the retention policy now (ops or privacy_officer role): a dry run answers what a run would destroy and changes nothing; a run is a job (follow it on GET /retention/runs/{id}/)',
        body: z.strictObject({
          dry_run: z.boolean().describe('true: only report'),
        }),
        response: { 200: RetentionReportJson, 202: RetentionRunJson },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request, reply) => {
      if (request.body.dry_run) {
        return reportJson(await runRetention(commandContext(request), deps, { dryRun: true }));
      }
      const id = timeOrderedId();
      const data: RetentionRunData = {};
      await retentionQueue.add(RETENTION_JOB, data, {
        jobId: runJobId(id),
        removeOnComplete: { age: KEEP_RUN_SECONDS },
      });
      return reply.code(202).send({ id, state: 'waiting' as const, report: null });
    },
  );

  fastify.get(
    '/retention/runs/:id/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'getRetentionRun',
        summary:
          'A retention run asked for over REST: its state and, once done, its report (ops or privacy_officer role)',
        params: z.object({ id: Uuid }),
        response: { 200: RetentionRunJson },
        problems: ['not_found'],
      },
    },
    async (request) => {
      // the state first: a job read before it completes carries no return value even when its state,
      // read a moment later, says completed
      const state = await retentionQueue.getJobState(runJobId(request.params.id));
      const job = state === 'unknown' ? undefined : await retentionQueue.getJob(runJobId(request.params.id));
      if (!job) throw notFound('Retention run');
      return {
        id: request.params.id,
        state: RUN_STATES.find((known) => known === state) ?? ('unknown' as const),
        report: state === 'completed' ? reportJson(job.returnvalue as RetentionReport) : null,
      };
    },
  );

  fastify.post(
    '/erasures/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'eraseSubject',
        summary:
          'Erase a person’s personal data: destroys their data keys (their message bodies, file names and display name read as erased everywhere) and deletes their attachments (ops or privacy_officer role)',
        body: z.strictObject({ user_id: UserIdSchema }),
        response: { 201: ErasureJson, 202: ErasureJson },
        problems: COMMAND_PROBLEMS,
        responseHeaders: WRITE_HEADERS,
      },
    },
    async (request, reply) => {
      const erasure = await eraseSubject(commandContext(request), deps, {
        erasureId: timeOrderedId(),
        subjectId: request.body.user_id,
      });
      return reply
        .code(erasure.status === 'erased' ? 201 : 202)
        .send(withPosition(reply, erasure.position, erasureJson(erasure)));
    },
  );

  fastify.post(
    '/holds/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'placeLegalHold',
        summary:
          'Place a legal hold on what a user wrote, a room, a date range, or any combination (ops or privacy_officer role): erasures of what it covers wait, retention spares it',
        body: z
          .strictObject({
            user_id: UserIdSchema.optional(),
            room_id: Uuid.optional(),
            from: Day.optional().describe('first day covered (UTC, YYYY-MM-DD)'),
            to: Day.optional().describe('last day covered (UTC, YYYY-MM-DD)'),
          })
          .refine((b) => b.user_id ?? b.room_id ?? b.from ?? b.to, 'name a user, a room or a date range'),
        response: { 201: z.object({ id: Uuid, ...WriteAck }).meta({ id: 'LegalHold' }) },
        problems: [...COMMAND_PROBLEMS, 'invalid_input'],
        responseHeaders: WRITE_HEADERS,
      },
    },
    async (request, reply) => {
      const { user_id, room_id, from, to } = request.body;
      const holdId = timeOrderedId();
      const scope = { userId: user_id ?? null, roomId: room_id ?? null, from: from ?? null, to: to ?? null };
      // enforced from the moment it is in the table; recorded right after
      await deps.legalHolds.place(holdId, scope);
      const placed = await placeLegalHold(commandContext(request), { holdId, scope });
      return reply.code(201).send(withPosition(reply, placed.position, { id: holdId }));
    },
  );

  fastify.post(
    '/holds/:id/release/',
    {
      schema: {
        tags: ['privacy'],
        operationId: 'releaseLegalHold',
        summary:
          'Release a legal hold (ops or privacy_officer role); the erasures it held and no other hold covers run now',
        params: z.object({ id: Uuid }),
        response: { 200: z.object({ erasures: z.array(ErasureJson), ...WriteAck }) },
        problems: COMMAND_PROBLEMS,
        responseHeaders: WRITE_HEADERS,
      },
    },
    async (request, reply) => {
      const ctx = commandContext(request);
      const released = await releaseLegalHold(ctx, { holdId: request.params.id });
      await deps.legalHolds.release(request.params.id);
      const erasures = await runReleasedErasures(ctx, deps);
      const position = erasures.at(-1)?.position ?? released.position;
      return withPosition(reply, position, { erasures: erasures.map(erasureJson) });
    },
  );
};

function erasureJson(erasure: ErasureResult) {
  return {
    id: erasure.erasureId,
    user_id: erasure.subjectId,
    status: erasure.status,
    held_by: erasure.heldBy,
    keys_destroyed: erasure.keysDestroyed,
    attachments_deleted: erasure.attachmentsDeleted,
    position: erasure.position,
  };
}
