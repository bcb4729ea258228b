// Messages: a room's history (cursor pagination by seq, both ways), send (idempotent with client_id),
// read, edit, soft delete, edit history, reactions, read receipts, mark read.
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addReaction } from '../commands/addReaction.ts';
import { deleteMessage } from '../commands/deleteMessage.ts';
import { editMessage } from '../commands/editMessage.ts';
import { markRead } from '../commands/markRead.ts';
import { markRoomRead } from '../commands/markRoomRead.ts';
import { removeReaction } from '../commands/removeReaction.ts';
import { sendMessage } from '../commands/sendMessage.ts';
import type { MessageJson } from '../contract/resources.ts';
import { MessageJsonSchema, UserJsonSchema, Uuid } from '../contract/resources.ts';
import { DomainError } from '../domain/errors.ts';
import type { AttachmentRef } from '../domain/events.ts';
import { MAX_EMOJI_LENGTH, MAX_MESSAGE_LENGTH } from '../domain/limits.ts';
import { BodyText, NameText } from '../domain/text.ts';
import {
  getMessageEditHistory,
  getMessageForUser,
  isMessageHiddenFrom,
  listMessages,
  messageReaders,
  messageRevision,
} from '../projections/chat/queries/messages.ts';
import { getMembership } from '../projections/chat/queries/participants.ts';
import { sentMessageJson } from '../projections/chat/sentMessage.ts';
import { requireRoomParticipant } from './access.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { IF_MATCH_PROBLEMS, setETag, withIfMatch } from './etag.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { HttpProblem, notFound } from './problems.ts';
import { answerAfterProjection, readAfter } from './readYourWrites.ts';
import { AcceptedSchema, AckSchema, WaitForQuery, WriteAck } from './schemas.ts';
import {
  answerSearch,
  MAX_SEARCH_PAGE,
  SearchPageSchema,
  SearchParameters,
  SearchSortSchema,
} from './search.ts';

const RoomParams = z.object({ room_id: Uuid });
const MessageParams = z.object({ id: Uuid });
const MessageWithPosition = MessageJsonSchema.extend(WriteAck);
/** seq values are PostgreSQL integers: a larger cursor is a 400 here, not a query that fails */
const Seq = z.coerce
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

const ListQuery = z
  .strictObject({
    before: Seq.optional().describe('only messages with a smaller seq (scroll back)'),
    after: Seq.optional().describe('only messages with a larger seq (catch up)'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .optional()
      .describe('50 by default; 20 (at most 50) with q'),
    q: SearchParameters.q.optional().describe('search this room instead (the query of GET /search/)'),
    sort: SearchSortSchema.optional().describe('with q: newest (default) or relevance'),
    cursor: SearchParameters.cursor,
    ...WaitForQuery,
  })
  .superRefine((query, context) => {
    const problem = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (query.q === undefined) {
      if (query.sort !== undefined) problem('sort', 'sort is for a search (q)');
      if (query.cursor !== undefined)
        problem('cursor', 'cursor is for a search (q); pages of a room go by seq');
      return;
    }
    if (query.before !== undefined) problem('before', 'a search (q) pages with cursor, not before');
    if (query.after !== undefined) problem('after', 'a search (q) pages with cursor, not after');
    if (query.limit !== undefined && query.limit > MAX_SEARCH_PAGE) {
      problem('limit', `a search (q) answers at most ${MAX_SEARCH_PAGE} at a time`);
    }
  });

const MessagePage = z
  .object({
    results: z.array(MessageJsonSchema).describe('oldest first'),
    has_more: z.boolean().describe('more messages beyond this page in the direction asked for'),
  })
  .meta({ id: 'MessagePage' });

const SendBody = z
  .strictObject({
    content: BodyText.max(MAX_MESSAGE_LENGTH).default(''),
    message_type: z
      .enum(['text', 'image', 'file', 'system'])
      .optional()
      .describe('system: moderators and ops only'),
    reply_to: Uuid.nullish(),
    client_id: NameText.min(1)
      .max(100)
      .nullish()
      .describe('idempotency key: a retry with the same client_id returns the original message (200)'),
    attachment_id: Uuid.nullish().describe(
      'id from POST /rooms/{room_id}/attachments/, uploaded by the caller to this room',
    ),
  })
  .meta({ id: 'SendMessage' });

const EditBody = z
  .strictObject({ content: BodyText.min(1).max(MAX_MESSAGE_LENGTH) })
  .meta({ id: 'EditMessage' });
const ReactionBody = z.strictObject({ emoji: NameText.min(1).max(MAX_EMOJI_LENGTH) });
const MarkReadBody = z
  .strictObject({ message_id: Uuid.optional().describe('read up to this message; omitted: everything') })
  .nullish();

const EditJson = z
  .object({ edit_no: z.number().int(), content: z.string(), edited_by: z.string(), edited_at: z.string() })
  .meta({ id: 'MessageEdit' });
const ReaderJson = z
  .object({ user: UserJsonSchema, last_read_seq: z.number().int(), read_at: z.string().nullable() })
  .meta({ id: 'MessageReader' });

// Writes on a message id (edit, delete, reactions, report) are authorized by the command itself: the
// decision checks participation in the message's room before any other rule (a non-participant gets
// not_found / not_a_participant, both 404). A read-model check would refuse a message sent a moment ago.
// Reactions also ask the read model whether the history visibility keeps a projected message from the
// caller (the write side knows no membership windows); a message not projected yet is left to the command.
export const messageRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;

  /** 404 unless the message exists in a room the caller is in. */
  const requireVisibleMessage = async (id: string, userId: string): Promise<MessageJson> => {
    const message = await getMessageForUser(db, id, userId);
    if (!message) throw notFound('Message');
    return message;
  };

  fastify.get(
    '/rooms/:room_id/messages/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'listMessages',
        summary: "A page of a room's messages, or a search within the room",
        description:
          'Without a cursor: the newest `limit`. `before=<seq>` pages back, `after=<seq>` pages forward. Deleted and hidden messages stay as tombstones (empty content). With `q`: a search of this room as GET /search/ answers it (a SearchPage), also for a room you left (up to your leave).',
        params: RoomParams,
        querystring: ListQuery,
        response: { 200: z.union([MessagePage, SearchPageSchema]) },
        problems: ['not_found', 'invalid_query'],
      },
    },
    async (request) => {
      const { before, after, wait_for, q, sort, cursor } = request.query;
      const { room_id: roomId } = request.params;
      if (q !== undefined) {
        // a search reaches the rooms the caller left too: only one they were never in is not found
        const membership = await readAfter(fastify, wait_for, () =>
          getMembership(db, roomId, request.user.userId),
        );
        if (!membership) throw notFound('Room');
        const search = { q, sort: sort ?? 'newest', limit: request.query.limit ?? 20, cursor, wait_for };
        return answerSearch(fastify, request.user.userId, search, roomId);
      }
      const limit = request.query.limit ?? 50;
      // one more than asked tells whether there is more
      const page = await readAfter(fastify, wait_for, () =>
        listMessages(db, roomId, request.user.userId, { before, after, limit: limit + 1 }),
      );
      if (!page) throw notFound('Room');
      const forwards = after !== undefined && before === undefined;
      const hasMore = page.length > limit;
      const results = hasMore ? (forwards ? page.slice(0, limit) : page.slice(1)) : page;
      return { results, has_more: hasMore };
    },
  );

  fastify.post(
    '/rooms/:room_id/messages/',
    {
      config: { rateLimit: 'send' },
      schema: {
        tags: ['messages'],
        operationId: 'sendMessage',
        summary: 'Send a message',
        description:
          'Answers as soon as the message is stored (201), with `position` for ?wait_for=. A retry with the same `client_id` answers 200 with the original; the same `client_id` with other content is 409 idempotency_conflict. In a room with `slow_mode_seconds`, a second message within that time is 429 slow_mode with Retry-After (room admins and moderators exempt).',
        params: RoomParams,
        body: SendBody,
        response: { 200: MessageWithPosition, 201: MessageWithPosition, 202: AcceptedSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [
          ...COMMAND_PROBLEMS,
          'forbidden',
          'room_archived',
          'participant_muted',
          'user_blocked',
          'slow_mode',
          'content_required',
          'message_too_long',
          'attachment_required',
          'attachment_too_large',
          'attachment_type_not_allowed',
          'invalid_attachment',
          'invalid_input',
          'invalid_reply_to',
          'idempotency_conflict',
          'message_bounced',
        ],
      },
    },
    async (request, reply) => {
      const { room_id: roomId } = request.params;
      const { userId } = request.user;
      const { body } = request;
      const attachment = body.attachment_id
        ? await attachmentFor(fastify, body.attachment_id, roomId, userId)
        : null;
      const result = await sendMessage(commandContext(request), {
        roomId,
        content: body.content,
        messageType: body.message_type,
        replyTo: body.reply_to ?? null,
        clientId: body.client_id ?? null,
        attachment,
      });
      if (!result.created) {
        return answerAfterProjection(
          fastify,
          reply,
          result.position,
          () => getMessageForUser(db, result.messageId, userId),
          200,
          result.messageId,
        );
      }
      return reply
        .code(201)
        .send(
          withPosition(
            reply,
            result.position,
            sentMessageJson(
              result.message,
              result.sentAt!,
              result.message.senderUsername ?? request.user.username ?? null,
            ),
          ),
        );
    },
  );

  fastify.get(
    '/messages/:id/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'getMessage',
        summary: 'One message',
        params: MessageParams,
        querystring: z.strictObject(WaitForQuery),
        response: { 200: MessageJsonSchema },
        responseHeaders: ['ETag'],
        problems: ['not_found'],
      },
    },
    async (request, reply) => {
      const message = await readAfter(fastify, request.query.wait_for, () =>
        requireVisibleMessage(request.params.id, request.user.userId),
      );
      setETag(reply, (await messageRevision(db, message.id))!);
      return message;
    },
  );

  fastify.patch(
    '/messages/:id/',
    {
      schema: {
        tags: ['messages'],
        summary: 'Edit a message (its sender only); the earlier text stays in the edit history',
        description:
          'With `If-Match: <ETag of GET /messages/{id}/>`, applied only if the message has not changed since (an edit, a reaction, a delete: else 412 precondition_failed).',
        operationId: 'editMessage',
        params: MessageParams,
        body: EditBody,
        response: { 200: MessageWithPosition, 202: AckSchema },
        responseHeaders: [...WRITE_HEADERS, 'ETag'],
        problems: [
          ...COMMAND_PROBLEMS,
          'participant_muted',
          'room_archived',
          'not_message_sender',
          'message_deleted',
          'message_hidden',
          'content_required',
          'message_too_long',
          'message_bounced',
          ...IF_MATCH_PROBLEMS,
        ],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { userId } = request.user;
      const result = await editMessage(withIfMatch(commandContext(request), request), {
        messageId: id,
        content: request.body.content,
      });
      setETag(reply, result.revision);
      return answerAfterProjection(fastify, reply, result.position, () => getMessageForUser(db, id, userId));
    },
  );

  fastify.delete(
    '/messages/:id/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'deleteMessage',
        summary: 'Delete a message (its sender, a room admin or a moderator); a tombstone stays',
        params: MessageParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, 'forbidden', 'not_message_sender', 'message_deleted'],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const result = await deleteMessage(commandContext(request), { messageId: id });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );

  fastify.get(
    '/messages/:id/history/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'getMessageHistory',
        summary: 'Earlier versions of an edited message, oldest first (empty once deleted or hidden)',
        params: MessageParams,
        querystring: z.strictObject(WaitForQuery),
        response: { 200: z.array(EditJson) },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const history = await readAfter(fastify, request.query.wait_for, () =>
        getMessageEditHistory(db, request.params.id, request.user.userId),
      );
      if (!history) throw notFound('Message');
      return history;
    },
  );

  fastify.get(
    '/messages/:id/readers/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'listMessageReaders',
        summary: 'Read receipts: the participants who have read this message',
        params: MessageParams,
        querystring: z.strictObject(WaitForQuery),
        response: { 200: z.array(ReaderJson) },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const readers = await readAfter(fastify, request.query.wait_for, () =>
        messageReaders(db, request.params.id, request.user.userId),
      );
      if (!readers) throw notFound('Message');
      return readers;
    },
  );

  for (const [method, run, operationId, summary] of [
    ['POST', addReaction, 'addReaction', 'Add a reaction (one per emoji per user)'],
    ['DELETE', removeReaction, 'removeReaction', 'Remove your reaction'],
  ] as const) {
    fastify.route({
      method,
      url: '/messages/:id/reactions/',
      schema: {
        tags: ['messages'],
        operationId,
        summary,
        params: MessageParams,
        body: ReactionBody,
        response: { 200: MessageWithPosition, 202: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [
          ...COMMAND_PROBLEMS,
          'invalid_input',
          'room_archived',
          'message_deleted',
          'message_hidden',
        ],
      },
      handler: async (request, reply) => {
        const { id } = request.params;
        const { userId } = request.user;
        // the very answer the command gives a message that does not exist, or one in another room
        if (await isMessageHiddenFrom(db, id, userId))
          throw new DomainError('not_found', 'Message not found');
        const result = await run(commandContext(request), { messageId: id, emoji: request.body.emoji });
        return answerAfterProjection(fastify, reply, result.position, () =>
          getMessageForUser(db, id, userId),
        );
      },
    });
  }

  fastify.post(
    '/rooms/:room_id/mark-read/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'markRoomRead',
        summary: 'Mark the room read (everything, or up to message_id)',
        description: 'Without a body (or without `message_id`): everything in the room so far.',
        params: RoomParams,
        body: MarkReadBody,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request, reply) => {
      const { room_id: roomId } = request.params;
      await requireRoomParticipant(db, roomId, request.user.userId);
      const ctx = commandContext(request);
      const upTo = request.body?.message_id;
      const result = upTo
        ? await markRead(ctx, { roomId, upToMessageId: upTo })
        : await markRoomRead(ctx, { roomId });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );
};

/** An uploaded attachment may go with a message only in its own room, and only from its uploader. */
async function attachmentFor(
  fastify: FastifyInstance,
  attachmentId: string,
  roomId: string,
  userId: string,
): Promise<AttachmentRef> {
  const stored = await fastify.attachments.describe(attachmentId);
  if (!stored || stored.roomId !== roomId || stored.uploaderId !== userId) {
    throw new HttpProblem(
      422,
      'invalid_attachment',
      'No attachment of yours with this id in this room',
      'body.attachment_id',
    );
  }
  return {
    id: stored.id,
    fileName: stored.fileName,
    contentType: stored.contentType,
    sizeBytes: stored.sizeBytes,
  };
}
