// Rooms: the caller's room list (unread counts, last message, newest activity first), create, read,
// rename/reconfigure, archive (DELETE or POST archive/), unarchive, leave.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { archiveRoom } from '../commands/archiveRoom.ts';
import { createRoom } from '../commands/createRoom.ts';
import { leaveRoom } from '../commands/leaveRoom.ts';
import { unarchiveRoom } from '../commands/unarchiveRoom.ts';
import { updateRoom } from '../commands/updateRoom.ts';
import { HistoryVisibility, RoomType, RoomWithUnreadJsonSchema, Uuid } from '../contract/resources.ts';
import type { RoomSettings } from '../domain/events.ts';
import { MAX_ROOM_NAME_LENGTH, MAX_SLOW_MODE_SECONDS } from '../domain/limits.ts';
import { NameText, SafeText } from '../domain/text.ts';
import { getRoomForUser, listRoomsForUser, roomRevision } from '../projections/chat/queries/rooms.ts';
import { requireRoomParticipant } from './access.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { IF_MATCH_PROBLEMS, setETag, withIfMatch } from './etag.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { notFound } from './problems.ts';
import { answerAfterProjection, readAfter } from './readYourWrites.ts';
import {
  AcceptedSchema,
  AckSchema,
  ExternalIdSchema,
  UserIdSchema,
  WaitForQuery,
  WriteAck,
} from './schemas.ts';

const RoomParams = z.object({ id: Uuid });
const RoomWithPosition = RoomWithUnreadJsonSchema.extend(WriteAck);

const RoomSettingsBody = z
  .strictObject({
    slow_mode_seconds: z.number().int().min(0).max(MAX_SLOW_MODE_SECONDS).optional(),
    history_visibility: HistoryVisibility.optional().describe(
      'who reads the history: `shared` (default), every member all of it; `joined`, each member what was sent while they were in the room. Not for direct rooms',
    ),
  })
  .meta({ id: 'RoomSettingsChange' });

const domainSettings = (settings: z.infer<typeof RoomSettingsBody>): RoomSettings => ({
  slowModeSeconds: settings.slow_mode_seconds,
  historyVisibility: settings.history_visibility,
});

const CreateRoomBody = z
  .strictObject({
    name: NameText.max(MAX_ROOM_NAME_LENGTH).optional(),
    room_type: RoomType,
    task: ExternalIdSchema.nullish().describe('the task this room is about (task rooms)'),
    property: ExternalIdSchema.nullish().describe('the property this room is about (property rooms)'),
    participant_ids: z
      .array(UserIdSchema)
      .max(500)
      .default([])
      .describe('the others to add; exactly one for a direct room. The creator joins as admin.'),
    settings: RoomSettingsBody.optional(),
  })
  .meta({ id: 'CreateRoom' });

const UpdateRoomBody = z
  .strictObject({
    name: NameText.max(MAX_ROOM_NAME_LENGTH).optional(),
    settings: RoomSettingsBody.optional(),
  })
  .meta({ id: 'UpdateRoom' });

const ListQuery = z.strictObject({
  type: RoomType.optional().describe('only rooms of this type'),
  task: NameText.trim().min(1).max(64).optional().describe('only rooms about this task'),
  property: NameText.trim().min(1).max(64).optional().describe('only rooms about this property'),
  include_archived: z.stringbool().default(false).describe('archived rooms too'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: SafeText.max(200).optional().describe('next_cursor of the previous page'),
  ...WaitForQuery,
});

const RoomPage = z
  .object({
    results: z.array(RoomWithUnreadJsonSchema),
    next_cursor: z
      .string()
      .nullable()
      .describe('pass as ?cursor= for the next (older) page; null at the end'),
  })
  .meta({ id: 'RoomPage' });

const LIFECYCLE = [
  {
    method: 'DELETE',
    url: '/rooms/:id/',
    run: archiveRoom,
    operationId: 'deleteRoom',
    summary: 'Archive a room (admins; as POST archive/)',
    problems: ['not_allowed_in_direct_room', 'not_room_admin'],
  },
  {
    method: 'POST',
    url: '/rooms/:id/archive/',
    run: archiveRoom,
    operationId: 'archiveRoom',
    summary: 'Archive a room (room admins)',
    problems: ['not_allowed_in_direct_room', 'not_room_admin'],
  },
  {
    method: 'POST',
    url: '/rooms/:id/unarchive/',
    run: unarchiveRoom,
    operationId: 'unarchiveRoom',
    summary: 'Unarchive a room (room admins)',
    problems: ['not_room_admin'],
  },
  {
    method: 'POST',
    url: '/rooms/:id/leave/',
    run: leaveRoom,
    operationId: 'leaveRoom',
    summary: 'Leave a room (not direct, not as last admin)',
    problems: ['not_allowed_in_direct_room', 'last_admin'],
  },
] as const;

export const roomRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;

  fastify.get(
    '/rooms/',
    {
      schema: {
        tags: ['rooms'],
        operationId: 'listRooms',
        summary: "The caller's rooms, newest activity first, with unread_count and last_message",
        querystring: ListQuery,
        response: { 200: RoomPage },
      },
    },
    async (request) => {
      const { type, task, property, include_archived, limit, cursor, wait_for } = request.query;
      const page = await readAfter(fastify, wait_for, () =>
        listRoomsForUser(db, request.user.userId, {
          roomType: type,
          task,
          property,
          includeArchived: include_archived,
          limit,
          cursor,
        }),
      );
      return { results: page.rooms, next_cursor: page.nextCursor };
    },
  );

  fastify.post(
    '/rooms/',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Create a room; the creator joins as admin',
        description: 'A direct room with the same person again answers 200 with the existing room.',
        operationId: 'createRoom',
        body: CreateRoomBody,
        response: { 200: RoomWithPosition, 201: RoomWithPosition, 202: AcceptedSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [
          ...COMMAND_PROBLEMS,
          'invalid_input',
          'invalid_room_type',
          'direct_room_requires_one_other_user',
          'not_allowed_in_direct_room',
          'user_blocked',
        ],
      },
    },
    async (request, reply) => {
      const { body } = request;
      const result = await createRoom(commandContext(request), {
        roomType: body.room_type,
        name: body.name,
        taskId: body.task ?? null,
        propertyId: body.property ?? null,
        participantIds: body.participant_ids,
        ...(body.settings ? { settings: domainSettings(body.settings) } : {}),
      });
      return answerAfterProjection(
        fastify,
        reply,
        result.position,
        () => getRoomForUser(db, result.roomId, request.user.userId),
        result.created ? 201 : 200,
        result.roomId,
      );
    },
  );

  fastify.get(
    '/rooms/:id/',
    {
      schema: {
        tags: ['rooms'],
        operationId: 'getRoom',
        summary: 'One room',
        params: RoomParams,
        querystring: z.strictObject(WaitForQuery),
        response: { 200: RoomWithUnreadJsonSchema },
        responseHeaders: ['ETag'],
        problems: ['not_found'],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const room = await readAfter(fastify, request.query.wait_for, () =>
        getRoomForUser(db, id, request.user.userId),
      );
      if (!room) throw notFound('Room');
      setETag(reply, (await roomRevision(db, id))!);
      return room;
    },
  );

  fastify.patch(
    '/rooms/:id/',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Rename or reconfigure a room (room admins)',
        description:
          'With `If-Match: <ETag of GET /rooms/{id}/>`, applied only if the room has not changed since (else 412 precondition_failed).',
        operationId: 'updateRoom',
        params: RoomParams,
        body: UpdateRoomBody,
        response: { 200: RoomWithPosition, 202: AckSchema },
        responseHeaders: [...WRITE_HEADERS, 'ETag'],
        problems: [
          ...COMMAND_PROBLEMS,
          'invalid_input',
          'not_allowed_in_direct_room',
          'not_room_admin',
          'room_archived',
          ...IF_MATCH_PROBLEMS,
        ],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { userId } = request.user;
      await requireRoomParticipant(db, id, userId);
      const { name, settings } = request.body;
      const result = await updateRoom(withIfMatch(commandContext(request), request), {
        roomId: id,
        name,
        ...(settings ? { settings: domainSettings(settings) } : {}),
      });
      setETag(reply, result.revision);
      return answerAfterProjection(fastify, reply, result.position, () => getRoomForUser(db, id, userId));
    },
  );

  for (const { method, url, run, operationId, summary, problems } of LIFECYCLE) {
    fastify.route({
      method,
      url,
      schema: {
        tags: ['rooms'],
        operationId,
        summary,
        params: RoomParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, ...problems],
      },
      handler: async (request, reply) => {
        const { id } = request.params;
        await requireRoomParticipant(db, id, request.user.userId);
        const result = await run(commandContext(request), { roomId: id });
        return withPosition(reply, result.position, { ok: true as const });
      },
    });
  }
};
