// Participants: list and add (room admins) per room; update (mute/unmute with until, admin flag, one's own
// notification mute) and remove by participant id. Every id is checked against the caller's rooms.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addParticipant } from '../commands/addParticipant.ts';
import type { CommandContext } from '../commands/context.ts';
import { leaveRoom } from '../commands/leaveRoom.ts';
import { muteParticipant } from '../commands/muteParticipant.ts';
import { muteRoomNotifications } from '../commands/muteRoomNotifications.ts';
import { removeParticipant } from '../commands/removeParticipant.ts';
import { setParticipantAdmin } from '../commands/setParticipantAdmin.ts';
import { unmuteParticipant } from '../commands/unmuteParticipant.ts';
import { ParticipantJsonSchema, type PresenceJson, PresenceJsonSchema, Uuid } from '../contract/resources.ts';
import { participantId } from '../domain/streams.ts';
import { NameText } from '../domain/text.ts';
import { isDependencyUnavailable } from '../errors/dependencyErrors.ts';
import { presenceOf } from '../presence/presenceView.ts';
import { getParticipantForUser, listParticipants } from '../projections/chat/queries/participants.ts';
import { requireRoomParticipant } from './access.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { IF_MATCH_PROBLEMS, setETag, withIfMatch } from './etag.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { HttpProblem, notFound } from './problems.ts';
import { answerAfterProjection, readAfter } from './readYourWrites.ts';
import { AckSchema, UserIdSchema, WaitForQuery, WriteAck } from './schemas.ts';

const RoomParams = z.object({ room_id: Uuid });
const ParticipantParams = z.object({ id: Uuid });
const ParticipantWithPosition = ParticipantJsonSchema.extend(WriteAck);
const FutureTime = z.iso.datetime({ offset: true });
/** in the room's list every participant shares the room with the caller: each shows their presence */
const ListedParticipant = ParticipantJsonSchema.extend({
  presence: PresenceJsonSchema.nullable().describe('null while presence (Redis) is unavailable'),
}).meta({ id: 'ListedParticipant' });

const AddBody = z
  .strictObject({
    user_id: UserIdSchema,
    username: NameText.min(1).max(150).optional().describe('display name, when the caller knows it'),
    is_admin: z.boolean().default(false),
  })
  .meta({ id: 'AddParticipant' });

const UpdateBody = z
  .strictObject({
    muted: z.boolean().optional().describe('moderation mute (room admins): a muted participant cannot send'),
    muted_until: FutureTime.nullish().describe('end of the mute; null or omitted: until unmuted'),
    is_admin: z.boolean().optional().describe('room admins only'),
    notifications_muted: z.boolean().optional().describe('your own participant only: silence the room'),
    notifications_muted_until: FutureTime.nullish(),
  })
  .meta({ id: 'UpdateParticipant' });

export const participantRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const db = fastify.pg;

  const requireVisibleParticipant = async (id: string, userId: string) => {
    const participant = await getParticipantForUser(db, id, userId);
    if (!participant) throw notFound('Participant');
    return participant;
  };

  fastify.get(
    '/rooms/:room_id/participants/',
    {
      schema: {
        tags: ['participants'],
        operationId: 'listParticipants',
        summary: "The room's current participants, in join order, each with their presence",
        params: RoomParams,
        querystring: z.strictObject(WaitForQuery),
        response: { 200: z.array(ListedParticipant) },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const list = await readAfter(fastify, request.query.wait_for, () =>
        listParticipants(db, request.params.room_id, request.user.userId),
      );
      if (!list) throw notFound('Room');
      // REST goes on while Redis is away: the list, without presence
      const presence = await presenceOf(
        db,
        fastify.presence.store,
        list.map((p) => p.user.id),
      ).catch((error) => {
        if (!isDependencyUnavailable(error)) throw error;
        return new Map<string, PresenceJson>();
      });
      return list.map((participant) => ({
        ...participant,
        presence: presence.get(participant.user.id) ?? null,
      }));
    },
  );

  fastify.post(
    '/rooms/:room_id/participants/',
    {
      schema: {
        tags: ['participants'],
        operationId: 'addParticipant',
        summary: 'Add a participant (room admins; not to direct rooms)',
        params: RoomParams,
        body: AddBody,
        response: { 201: ParticipantWithPosition, 202: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, 'not_allowed_in_direct_room', 'not_room_admin', 'room_archived'],
      },
    },
    async (request, reply) => {
      const { room_id: roomId } = request.params;
      const { userId } = request.user;
      const { body } = request;
      await requireRoomParticipant(db, roomId, userId);
      const result = await addParticipant(commandContext(request), {
        roomId,
        userId: body.user_id,
        username: body.username,
        isAdmin: body.is_admin,
      });
      const id = participantId(roomId, body.user_id);
      return answerAfterProjection(
        fastify,
        reply,
        result.position,
        () => getParticipantForUser(db, id, userId),
        201,
      );
    },
  );

  fastify.patch(
    '/participants/:id/',
    {
      schema: {
        tags: ['participants'],
        summary: 'Mute/unmute, make or unmake admin, or silence your own notifications',
        description:
          "Each given field is its own change, applied in the order muted, is_admin, notifications_muted; the answer carries the position of the last. A participant lives in its room: with `If-Match: <ETag of GET /rooms/{id}/>` the changes apply only if the room has not changed since (else 412 precondition_failed); the answer carries the room's ETag after them.",
        operationId: 'updateParticipant',
        params: ParticipantParams,
        body: UpdateBody,
        response: { 200: ParticipantWithPosition, 202: AckSchema },
        responseHeaders: [...WRITE_HEADERS, 'ETag'],
        problems: [
          ...COMMAND_PROBLEMS,
          'forbidden',
          'invalid_input',
          'not_allowed_in_direct_room',
          'not_room_admin',
          'last_admin',
          ...IF_MATCH_PROBLEMS,
        ],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { userId: callerId } = request.user;
      const target = await requireVisibleParticipant(id, callerId);
      const roomId = target.room;
      const userId = target.user.id;
      const ctx = commandContext(request);
      const body = request.body;
      const changes: ((ctx: CommandContext) => Promise<{ position: string; revision: bigint }>)[] = [];
      const mute = body.muted ?? (body.muted_until ? true : undefined);
      if (mute === true)
        changes.push((c) => muteParticipant(c, { roomId, userId, until: body.muted_until ?? null }));
      if (mute === false) changes.push((c) => unmuteParticipant(c, { roomId, userId }));
      if (body.is_admin !== undefined) {
        changes.push((c) => setParticipantAdmin(c, { roomId, userId, isAdmin: body.is_admin! }));
      }
      const silence = body.notifications_muted ?? (body.notifications_muted_until ? true : undefined);
      if (silence !== undefined) {
        if (userId !== callerId) {
          throw new HttpProblem(
            403,
            'forbidden',
            'Only you can silence your notifications',
            'body.notifications_muted',
          );
        }
        changes.push((c) =>
          muteRoomNotifications(c, { roomId, muted: silence, until: body.notifications_muted_until ?? null }),
        );
      }
      if (changes.length === 0) {
        throw new HttpProblem(400, 'validation_failed', 'Nothing to change', 'body');
      }
      // the first change is conditioned on the caller's If-Match, each next one on the revision before it
      let position = '0';
      let conditioned = withIfMatch(ctx, request);
      for (const change of changes) {
        const result = await change(conditioned);
        position = result.position;
        conditioned = conditioned.ifRevision === undefined ? ctx : { ...ctx, ifRevision: result.revision };
        setETag(reply, result.revision);
      }
      return answerAfterProjection(fastify, reply, position, () => getParticipantForUser(db, id, callerId));
    },
  );

  fastify.delete(
    '/participants/:id/',
    {
      schema: {
        tags: ['participants'],
        operationId: 'removeParticipant',
        summary: 'Remove a participant (room admins), or leave when it is you',
        params: ParticipantParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: [...COMMAND_PROBLEMS, 'not_allowed_in_direct_room', 'not_room_admin', 'last_admin'],
      },
    },
    async (request, reply) => {
      const { userId: callerId } = request.user;
      const target = await requireVisibleParticipant(request.params.id, callerId);
      const ctx = commandContext(request);
      const result =
        target.user.id === callerId
          ? await leaveRoom(ctx, { roomId: target.room })
          : await removeParticipant(ctx, { roomId: target.room, userId: target.user.id });
      return withPosition(reply, result.position, { ok: true as const });
    },
  );
};
