// Safety: block and unblock users, report a message; and for moderators the report queue, hiding and
// restoring messages, dismissing reports. The moderators' routes are 404 for anyone else, answered before
// the request is validated or anything is looked up.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { blockUser } from '../commands/blockUser.ts';
import { hideMessage } from '../commands/hideMessage.ts';
import { reportMessage } from '../commands/reportMessage.ts';
import { resolveReport } from '../commands/resolveReport.ts';
import { restoreMessage } from '../commands/restoreMessage.ts';
import { unblockUser } from '../commands/unblockUser.ts';
import { Position, Uuid } from '../contract/resources.ts';
import { MAX_HIDE_REASON_LENGTH, MAX_REPORT_REASON_LENGTH } from '../domain/limits.ts';
import { BodyText } from '../domain/text.ts';
import { bouncedTexts } from '../moderation/bouncedTexts.ts';
import { reportView } from '../moderation/reportView.ts';
import { isoTime } from '../projections/chat/serializers.ts';
import { listBlockedUsers, listBounces, listReports } from '../projections/safety/queries.ts';
import { SAFETY_PROJECTION } from '../projections/safety/safetyProjection.ts';
import { requireModerator } from './access.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { notFound } from './problems.ts';
import { readAfter } from './readYourWrites.ts';
import { AckSchema, UserIdSchema, WaitForQuery } from './schemas.ts';

/** What a moderator's command may answer: no such message or report. */
const MODERATION_PROBLEMS = [...COMMAND_PROBLEMS, 'invalid_input'] as const;
const UserParams = z.object({ user_id: UserIdSchema });
const MessageParams = z.object({ id: Uuid });

const ReportJson = z
  .object({
    id: Uuid,
    message: Uuid,
    room: Uuid,
    reporter: z.string(),
    reason: z.string(),
    status: z.string().describe("'open', or how it was resolved: 'hidden' | 'dismissed'"),
    created_at: z.string(),
    resolved_by: z.string().nullable(),
    resolved_at: z.string().nullable(),
  })
  .meta({ id: 'Report' });

const ReportViewJson = z
  .object({
    id: Uuid,
    reporter: z.string().describe('a user id, or system:moderation for a flag by the policy'),
    reason: z.string(),
    resolution: z.enum(['hidden', 'dismissed']).nullable().describe('null: open'),
    reported_at: z.string(),
    message: z.object({
      id: Uuid,
      room: Uuid,
      sender: z.string(),
      message_type: z.string(),
      content: z.string().nullable().describe('the text when it was reported; null: erased since'),
      sent_at: z.string(),
      edits: z.number().int().describe('edits before the report'),
      hidden: z.boolean().describe('hidden then (by a moderator, or blocked by the policy)'),
      deleted: z.boolean(),
    }),
  })
  .meta({ id: 'ReportView' });

const BounceJson = z
  .object({
    id: Uuid,
    message: Uuid.describe('the message the write would have made or changed'),
    room: Uuid,
    sender: z.string(),
    edit: z.boolean().describe('true: an edit was refused; false: a send'),
    content: z.string().nullable().describe('the refused text; null: erased since (docs/privacy.md)'),
    rule: z
      .object({ id: z.string(), name: z.string() })
      .describe('the rule that bounced it, as it was named then'),
    bounced_at: z.string(),
  })
  .meta({ id: 'Bounce' });

const BouncePage = z
  .object({
    results: z.array(BounceJson),
    next_cursor: z
      .string()
      .nullable()
      .describe('pass as ?cursor= for the next (older) page; null at the end'),
  })
  .meta({ id: 'BouncePage' });

const ReportCreated = z
  .object({ id: Uuid, message: Uuid, room: Uuid, created: z.boolean(), position: Position })
  .meta({ id: 'ReportCreated' });

export const safetyRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;

  fastify.get(
    '/blocks/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'listBlockedUsers',
        summary: 'The users you have blocked',
        querystring: z.strictObject(WaitForQuery),
        response: { 200: z.object({ user_ids: z.array(z.string()) }) },
      },
    },
    async (request) => ({
      user_ids: await readAfter(
        fastify,
        request.query.wait_for,
        () => listBlockedUsers(db, request.user.userId),
        SAFETY_PROJECTION,
      ),
    }),
  );

  for (const [method, run, operationId, summary] of [
    ['POST', blockUser, 'blockUser', 'Block a user: neither of you can write in your direct room'],
    ['DELETE', unblockUser, 'unblockUser', 'Unblock a user'],
  ] as const) {
    fastify.route({
      method,
      url: '/users/:user_id/block/',
      schema: {
        tags: ['safety'],
        operationId,
        summary,
        params: UserParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, 'cannot_block_self'],
      },
      handler: async (request, reply) => {
        const result = await run(commandContext(request), { userId: request.params.user_id });
        return withPosition(reply, result.position, { ok: true as const });
      },
    });
  }

  fastify.post(
    '/messages/:id/report/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'reportMessage',
        summary: 'Report a message to the moderators (reporting it again changes nothing)',
        params: MessageParams,
        body: z.strictObject({ reason: BodyText.min(1).max(MAX_REPORT_REASON_LENGTH) }),
        response: { 200: ReportCreated, 201: ReportCreated },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, 'invalid_input'],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const result = await reportMessage(commandContext(request), {
        messageId: id,
        reason: request.body.reason,
      });
      return reply.code(result.created ? 201 : 200).send(
        withPosition(reply, result.position, {
          id: result.reportId,
          message: result.messageId,
          room: result.roomId,
          created: result.created,
        }),
      );
    },
  );

  await fastify.register(moderatorRoutes);
};

/** The moderators' routes under /moderation/: for anyone else they do not exist (404). */
const moderatorRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;
  fastify.addHook('onRequest', requireModerator);

  fastify.get(
    '/moderation/reports/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'listReports',
        summary: 'The report queue, oldest first (moderators)',
        querystring: z.strictObject({
          status: z.enum(['open', 'hidden', 'dismissed']).optional().describe('default: open'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          ...WaitForQuery,
        }),
        response: { 200: z.array(ReportJson) },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const { status = 'open', limit, wait_for } = request.query;
      return readAfter(fastify, wait_for, () => listReports(db, { status, limit }), SAFETY_PROJECTION);
    },
  );

  fastify.get(
    '/moderation/bounces/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'listBounces',
        summary: 'Writes the moderation policy bounced, newest first, with their text and rule (moderators)',
        querystring: z.strictObject({
          room_id: Uuid.optional().describe('only bounces in this room'),
          user_id: UserIdSchema.optional().describe('only bounces of this sender'),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          cursor: z
            .string()
            .regex(/^\d{20}-\d{20}$/, 'not a cursor of this list')
            .optional()
            .describe('next_cursor of the previous page, same filters'),
          ...WaitForQuery,
        }),
        response: { 200: BouncePage },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const { room_id, user_id, limit, cursor, wait_for } = request.query;
      const page = await readAfter(
        fastify,
        wait_for,
        () =>
          listBounces(db, {
            limit,
            ...(room_id ? { roomId: room_id } : {}),
            ...(user_id ? { senderId: user_id } : {}),
            ...(cursor ? { before: cursor } : {}),
          }),
        SAFETY_PROJECTION,
      );
      const texts = await bouncedTexts(
        fastify.eventStore,
        page.bounces.map((bounce) => bounce.id),
      );
      return {
        results: page.bounces.map((bounce) => ({
          id: bounce.id,
          message: bounce.message_id,
          room: bounce.room_id,
          sender: bounce.sender_id,
          edit: bounce.is_edit,
          content: texts.get(bounce.id) ?? null,
          rule: { id: bounce.rule_id, name: bounce.rule_name },
          bounced_at: isoTime(bounce.bounced_at),
        })),
        next_cursor: page.nextCursor,
      };
    },
  );

  fastify.get(
    '/moderation/reports/:id/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'getReport',
        summary:
          'One report with the message as it was when reported, its text included, in any room (moderators)',
        params: z.object({ id: Uuid }),
        response: { 200: ReportViewJson },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const view = await reportView(fastify.eventStore, request.params.id);
      if (!view) throw notFound('Report');
      return view;
    },
  );

  fastify.post(
    '/moderation/messages/:id/hide/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'hideMessage',
        summary: 'Hide a message from participants (moderators); resolves the given reports as hidden',
        params: MessageParams,
        body: z.strictObject({
          reason: BodyText.min(1).max(MAX_HIDE_REASON_LENGTH),
          report_ids: z.array(Uuid).max(100).default([]),
        }),
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: MODERATION_PROBLEMS,
      },
    },
    async (request, reply) => {
      const result = await hideMessage(commandContext(request), {
        messageId: request.params.id,
        reason: request.body.reason,
        resolveReportIds: request.body.report_ids,
      });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );

  fastify.post(
    '/moderation/messages/:id/restore/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'restoreMessage',
        summary: 'Show a hidden message again (moderators)',
        params: MessageParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: MODERATION_PROBLEMS,
      },
    },
    async (request, reply) => {
      const result = await restoreMessage(commandContext(request), { messageId: request.params.id });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );

  fastify.post(
    '/moderation/reports/:id/dismiss/',
    {
      schema: {
        tags: ['safety'],
        operationId: 'dismissReport',
        summary: 'Dismiss a report (moderators)',
        params: z.object({ id: Uuid }),
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: MODERATION_PROBLEMS,
      },
    },
    async (request, reply) => {
      const result = await resolveReport(commandContext(request), {
        reportId: request.params.id,
        action: 'dismissed',
      });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );
};
