// Privacy (docs/privacy.md): erasure of a person's personal data. Only tokens with the `ops` or
// `privacy_officer` role get past the guard; for everyone else these paths do not exist (404).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { Uuid } from '../contract/resources.ts';
import { isPrivacyOfficer } from '../domain/actor.ts';
import { eraseSubject } from '../privacy/eraseSubject.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { notFound } from './problems.ts';
import { UserIdSchema, WriteAck } from './schemas.ts';

const ErasureJson = z
  .object({
    id: Uuid,
    user_id: z.string(),
    keys_destroyed: z
      .number()
      .int()
      .describe('data keys destroyed: each a subject’s fields in one room on one day'),
    attachments_deleted: z.number().int().describe('files the person uploaded, deleted from storage'),
    ...WriteAck,
  })
  .meta({ id: 'Erasure' });

export const privacyRoutes: FastifyPluginAsyncZod = async (fastify) => {
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
        response: { 201: ErasureJson },
        problems: COMMAND_PROBLEMS,
        responseHeaders: WRITE_HEADERS,
      },
    },
    async (request, reply) => {
      const erasure = await eraseSubject(
        commandContext(request),
        {
          pool: fastify.pg,
          keyStore: fastify.keyStore,
          attachments: fastify.attachments,
          forgetCachedKeys: fastify.forgetCachedKeys,
        },
        { erasureId: uuidv7(), subjectId: request.body.user_id },
      );
      return reply.code(201).send(
        withPosition(reply, erasure.position, {
          id: erasure.erasureId,
          user_id: erasure.subjectId,
          keys_destroyed: erasure.keysDestroyed,
          attachments_deleted: erasure.attachmentsDeleted,
        }),
      );
    },
  );
};
