// Privacy (docs/privacy.md): erasure of a person's personal data, and legal holds that make it wait. Only tokens with the `ops` or
// `privacy_officer` role get past the guard; for everyone else these paths do not exist (404).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { placeLegalHold } from '../commands/placeLegalHold.ts';
import { releaseLegalHold } from '../commands/releaseLegalHold.ts';
import { Uuid } from '../contract/resources.ts';
import { isPrivacyOfficer } from '../domain/actor.ts';
import {
  type ErasureDeps,
  type ErasureResult,
  eraseSubject,
  runReleasedErasures,
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

export const privacyRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const deps: ErasureDeps = {
    pool: fastify.pg,
    legalHolds: createPostgresLegalHolds(fastify.pg),
    attachments: fastify.attachments,
    forgetCachedKeys: fastify.forgetCachedKeys,
  };

  fastify.addHook('preHandler', async (request) => {
    if (!isPrivacyOfficer(request.user)) throw notFound('Resource');
  });

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
        erasureId: uuidv7(),
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
      const holdId = uuidv7();
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
