// Auditors: the history as the event store holds it, not as the read models show it. A room's events
// (every message version, moderation, membership, reads), the room as it was at a time or position, a
// message's versions and who could read it then, and one user's activity across rooms. Only tokens with
// the `auditor` role get past the guard (before any validation: for everyone else these paths do not
// exist, 404); auditors see every room, direct ones too. Every read is recorded first (AuditorRead) and
// shows in the history it read. Exports (POST /exports/) run as a BullMQ job (src/jobs/auditExport.ts);
// their status and the file (streamed from disk) are read here.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createExportRequest, type ExportRequest, getExportRequest } from '../audit/exportRequests.ts';
import { historyEvent } from '../audit/historyEvent.ts';
import {
  emptyRoomFold,
  foldRoom,
  foldRoomEvent,
  type MessageVersion,
  type RoomFold,
  readersOf,
} from '../audit/roomFold.ts';
import { scanEvents } from '../audit/scanEvents.ts';
import { recordAuditorRead } from '../commands/recordAuditorRead.ts';
import { Position, Uuid } from '../contract/resources.ts';
import type { AuditedResource } from '../domain/events.ts';
import { messageStream, roomStream, timeOrderedId } from '../domain/streams.ts';
import {
  comparePositions,
  decodePosition,
  encodePosition,
  type Position as StorePosition,
} from '../eventstore/eventStore.ts';
import { AUDIT_EXPORT_JOB, exportFilePath } from '../jobs/auditExport.ts';
import { jobQueue } from '../jobs/startJobs.ts';
import { commandContext } from './commandContext.ts';
import { COMMAND_PROBLEMS } from './openApiDocument.ts';
import { HttpProblem, notFound } from './problems.ts';
import { UserIdSchema } from './schemas.ts';

/** most events one request reads from the store (a filter that matches little answers with a cursor) */
const SCAN_BUDGET = 20_000;

const Time = z.iso.datetime({ offset: true });
const EventType = z.string().regex(/^[A-Za-z]{1,64}$/, 'an event type, e.g. MessageEdited');

const HistoryEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    stream: z.string(),
    revision: z.string().describe('the event’s place in its stream (0-based)'),
    position: Position.describe('the event’s place in the global order (the store position)'),
    recorded_at: z.string().describe('when the store recorded it'),
    occurred_at: z.string().nullable().describe('when the command that recorded it ran'),
    actor_id: z.string().nullable().describe('who did it (system:jobs for the service)'),
    room_id: z.string().nullable(),
    correlation_id: z.string().nullable().describe('the request that recorded it'),
    data: z.unknown().describe('the event’s data as recorded, original texts included'),
  })
  .meta({ id: 'AuditEvent' });

const EventPage = z
  .object({
    results: z.array(HistoryEventSchema).describe('in global order'),
    next: Position.nullable().describe('pass as ?after= for the next page; null at the end of the store'),
  })
  .meta({ id: 'AuditEventPage' });

const PageQuery = {
  after: Position.optional().describe('only events after this position (a page’s `next`)'),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
  from: Time.optional().describe('only events recorded at or after this time'),
  to: Time.optional().describe('only events recorded at or before this time'),
};

const AsOfQuery = {
  as_of: Time.optional().describe('the state from the events recorded at or before this time'),
  at_position: Position.optional().describe('the state from the events up to this position'),
};

const MemberSchema = z.object({
  user_id: z.string(),
  username: z.string().nullable(),
  active: z.boolean().describe('false once they left or were removed'),
  is_admin: z.boolean(),
  muted: z.boolean(),
  muted_until: z.string().nullable(),
  notifications_muted: z.boolean(),
  last_read_message: z.string().nullable(),
  windows: z
    .array(z.object({ from: Position, to: Position.nullable() }))
    .describe('membership windows: from each join to its leave or removal (positions)'),
});

const VersionSchema = z.object({
  content: z.string().nullable().describe('null once erased (docs/privacy.md)'),
  by: z.string().nullable(),
  at: z.string(),
  position: Position,
});

const AuditMessageSchema = z.object({
  id: z.string(),
  sender_id: z.string(),
  message_type: z.string(),
  content: z
    .string()
    .nullable()
    .describe(
      'the text it had at that point, also when deleted or hidden; null once erased (docs/privacy.md)',
    ),
  is_edited: z.boolean(),
  is_deleted: z.boolean(),
  is_hidden: z.boolean(),
  sent_at: z.string(),
  position: Position.describe('where it was sent in the global order'),
  reactions: z.array(z.object({ user_id: z.string(), emoji: z.string() })),
});

const RoomStateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    room_type: z.string(),
    created_by: z.string(),
    archived: z.boolean(),
    settings: z.unknown(),
    position: Position.nullable().describe('the last event folded into this state'),
    events: z.number().int().describe('events folded'),
    members: z.array(MemberSchema),
    messages: z.array(AuditMessageSchema).describe('in the order they were sent'),
    messages_next: Position.nullable().describe('pass as ?messages_after= for more; null: no more'),
  })
  .meta({ id: 'AuditRoomState' });

const ExportSchema = z
  .object({
    id: z.string(),
    state: z.enum(['queued', 'running', 'done', 'failed']),
    room_id: z.string().nullable().describe('null: every room'),
    from: z.string().nullable(),
    to: z.string().nullable(),
    requested_by: z.string(),
    events_written: z.number().int(),
    events_total: z.number().int().nullable().describe('the exported rooms’ events at the checkpoint'),
    error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    download: z.string().nullable().describe('the file’s path once done'),
  })
  .meta({ id: 'AuditExport' });

function exportJson(request: ExportRequest) {
  return {
    id: request.id,
    state: request.state,
    room_id: request.roomId,
    from: request.from?.toISOString() ?? null,
    to: request.to?.toISOString() ?? null,
    requested_by: request.requestedBy,
    events_written: request.eventsWritten,
    events_total: request.eventsTotal,
    error: request.error,
    created_at: request.createdAt.toISOString(),
    finished_at: request.finishedAt?.toISOString() ?? null,
    download: request.state === 'done' ? `/api/audit/exports/${request.id}/file/` : null,
  };
}

const RoomParams = z.object({ id: Uuid });
const MessageParams = z.object({ id: Uuid });

function requireAuditor(request: FastifyRequest): void {
  if (!request.user.roles.includes('auditor')) throw notFound('Resource');
}

function position(text: string | undefined): StorePosition | undefined {
  return text === undefined ? undefined : decodePosition(text);
}

function timeWindow(from: string | undefined, to: string | undefined) {
  const fromMs = from === undefined ? -Infinity : Date.parse(from);
  const toMs = to === undefined ? Infinity : Date.parse(to);
  if (fromMs > toMs) throw new HttpProblem(400, 'validation_failed', '`from` is after `to`', 'query.from');
  return (at: Date) => at.getTime() >= fromMs && at.getTime() <= toMs;
}

/** the query as recorded in the AuditorRead: what was asked, as validated */
function recordedQuery(query: Record<string, unknown>): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) recorded[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return recorded;
}

export const auditRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const store = fastify.eventStore;
  // onRequest, not preHandler: a non-auditor's malformed request is the same 404, never a 400
  fastify.addHook('onRequest', async (request) => requireAuditor(request));

  const record = (
    request: FastifyRequest,
    resource: AuditedResource,
    ids: { roomId?: string; messageId?: string; userId?: string },
    query: Record<string, unknown>,
  ) => recordAuditorRead(commandContext(request), { resource, ...ids, query: recordedQuery(query) });

  async function requireRoomExists(roomId: string): Promise<void> {
    const [created] = await store.readStream(roomStream(roomId), { limit: 1 });
    if (!created) throw notFound('Room');
  }

  fastify.get(
    '/rooms/:id/events/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'auditRoomEvents',
        summary: 'A room’s whole history from the event store, in order, paged (auditor role)',
        params: RoomParams,
        querystring: z.strictObject({
          ...PageQuery,
          actor: UserIdSchema.optional().describe('only events this user (or system:jobs) recorded'),
          types: z
            .string()
            .transform((text) => text.split(','))
            .pipe(z.array(EventType).min(1).max(32))
            .optional()
            .describe('comma-separated event types, e.g. MessageEdited,MessageDeleted'),
        }),
        response: { 200: EventPage },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request) => {
      const roomId = request.params.id;
      const { after, limit, from, to, actor, types } = request.query;
      const inWindow = timeWindow(from, to);
      await requireRoomExists(roomId);
      await record(request, 'room_events', { roomId }, request.query);
      const page = await scanEvents(store, {
        ...(after ? { after: decodePosition(after) } : {}),
        filter: { roomId, ...(types ? { eventTypes: types } : {}) },
        matches: (event) =>
          inWindow(event.recordedAt) && (actor === undefined || event.metadata.actorId === actor),
        limit,
        budget: SCAN_BUDGET,
      });
      return { results: page.events.map(historyEvent), next: page.next && encodePosition(page.next) };
    },
  );

  fastify.get(
    '/rooms/:id/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'auditRoomState',
        summary: 'A room as it was at a time or position: members, roles, mutes, messages (auditor role)',
        params: RoomParams,
        querystring: z.strictObject({
          ...AsOfQuery,
          messages_after: Position.optional().describe('only messages sent after this position'),
          message_limit: z.coerce.number().int().min(1).max(2_000).default(500),
        }),
        response: { 200: RoomStateSchema },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request) => {
      const roomId = request.params.id;
      const { as_of, at_position, messages_after, message_limit } = request.query;
      await requireRoomExists(roomId);
      await record(request, 'room_state', { roomId }, request.query);
      const fold = await foldRoom(store, roomId, {
        ...(as_of ? { time: new Date(as_of) } : {}),
        ...(at_position ? { position: decodePosition(at_position) } : {}),
      });
      if (!fold.room) throw notFound('Room');
      return roomStateJson(fold, position(messages_after), message_limit);
    },
  );

  fastify.get(
    '/messages/:id/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'auditMessage',
        summary: 'Every version of a message and every event of it, with who and when (auditor role)',
        params: MessageParams,
        response: {
          200: z
            .object({
              id: z.string(),
              room_id: z.string(),
              sender_id: z.string(),
              versions: z.array(VersionSchema).describe('the sent text, then each edit'),
              is_deleted: z.boolean(),
              is_hidden: z.boolean(),
              events: z
                .array(HistoryEventSchema)
                .describe('the message’s stream: versions, deletes, hides, reactions'),
            })
            .meta({ id: 'AuditMessage' }),
        },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request) => {
      const messageId = request.params.id;
      const events = await store.readStream(messageStream(messageId));
      const roomId = events[0]?.metadata.roomId;
      if (!roomId) throw notFound('Message');
      await record(request, 'message', { roomId, messageId }, {});
      const fold = emptyRoomFold(roomId);
      for (const event of events) foldRoomEvent(fold, event);
      const message = fold.messages.get(messageId)!;
      return {
        id: messageId,
        room_id: roomId,
        sender_id: message.state.senderId,
        versions: message.versions.map(versionJson),
        is_deleted: message.state.deleted,
        is_hidden: message.state.hidden,
        events: events.map(historyEvent),
      };
    },
  );

  fastify.get(
    '/messages/:id/visibility/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'auditMessageVisibility',
        summary: 'Who could read a message at a time or position: the room’s members then (auditor role)',
        params: MessageParams,
        querystring: z.strictObject(AsOfQuery),
        response: {
          200: z
            .object({
              id: z.string(),
              room_id: z.string(),
              position: Position.nullable().describe('the last event of the room folded'),
              sent: z.boolean().describe('false: not sent yet at that point'),
              content: z.string().nullable().describe('the text it had then'),
              content_visible: z.boolean().describe('false when deleted or hidden then: readers saw no text'),
              history_visibility: z.enum(['shared', 'joined']),
              readers: z.array(z.string()).describe('user ids who could read it'),
            })
            .meta({ id: 'AuditMessageVisibility' }),
        },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request) => {
      const messageId = request.params.id;
      const { as_of, at_position } = request.query;
      const [sent] = await store.readStream(messageStream(messageId), { limit: 1 });
      const roomId = sent?.metadata.roomId;
      if (!roomId) throw notFound('Message');
      await record(request, 'message_visibility', { roomId, messageId }, request.query);
      const fold = await foldRoom(store, roomId, {
        ...(as_of ? { time: new Date(as_of) } : {}),
        ...(at_position ? { position: decodePosition(at_position) } : {}),
      });
      const message = fold.messages.get(messageId);
      return {
        id: messageId,
        room_id: roomId,
        position: fold.position && encodePosition(fold.position),
        sent: message !== undefined,
        content: message?.state.content ?? null,
        content_visible: message !== undefined && !message.state.deleted && !message.state.hidden,
        history_visibility: fold.room?.settings.historyVisibility ?? 'shared',
        readers: readersOf(fold, messageId),
      };
    },
  );

  fastify.get(
    '/users/:id/activity/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'auditUserActivity',
        summary: 'What one user did, across rooms, in a time range, paged (auditor role)',
        params: z.object({ id: UserIdSchema }),
        querystring: z.strictObject(PageQuery),
        response: { 200: EventPage },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request) => {
      const userId = request.params.id;
      const { after, limit, from, to } = request.query;
      const inWindow = timeWindow(from, to);
      await record(request, 'user_activity', { userId }, request.query);
      // the store ships only this user's events, so a page is full or the store's end (unless from/to
      // leave out more than the scan budget of them)
      const page = await scanEvents(store, {
        ...(after ? { after: decodePosition(after) } : {}),
        filter: { actorId: userId },
        matches: (event) => inWindow(event.recordedAt),
        limit,
        budget: SCAN_BUDGET,
      });
      return { results: page.events.map(historyEvent), next: page.next && encodePosition(page.next) };
    },
  );

  // a connection of its own, closed with the app (the queue does not close a connection it was given)
  const exportConnection = fastify.redisConnection('jobs', 'audit-exports');
  const exportQueue = jobQueue(exportConnection, fastify.config, AUDIT_EXPORT_JOB);
  fastify.addHook('onClose', async () => {
    await exportQueue.close();
    await exportConnection.quit().catch(() => exportConnection.disconnect());
  });

  fastify.post(
    '/exports/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'requestAuditExport',
        summary:
          'Ask for a signed, verifiable export of a room or of every room; runs as a job (auditor role)',
        description:
          'The export covers the log up to a checkpoint signed when the job runs. With from/to every event of the rooms is still in the file (completeness), those outside the range without their text. Follow it on GET /exports/{id}/, download it from GET /exports/{id}/file/.',
        body: z
          .strictObject({
            room_id: Uuid.optional().describe('the room; omitted with all: true'),
            all: z.literal(true).optional().describe('every room'),
            from: Time.optional(),
            to: Time.optional(),
          })
          .refine((body) => (body.room_id === undefined) === (body.all === true), {
            message: 'give room_id or all: true',
            path: ['room_id'],
          }),
        response: { 202: ExportSchema },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request, reply) => {
      const { room_id: roomId, from, to } = request.body;
      timeWindow(from, to);
      if (roomId) await requireRoomExists(roomId);
      const id = timeOrderedId();
      await record(request, 'export', roomId ? { roomId } : {}, { ...request.body, export: id });
      const created = await createExportRequest(fastify.pg, {
        id,
        requestedBy: request.user.userId,
        roomId: roomId ?? null,
        from: from ? new Date(from) : null,
        to: to ? new Date(to) : null,
      });
      await exportQueue.add('export', { exportId: id }, { jobId: `audit-export-${id}` });
      return reply.code(202).send(exportJson(created));
    },
  );

  fastify.get(
    '/exports/:id/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'getAuditExport',
        summary: 'An export’s state and progress (auditor role)',
        params: z.object({ id: Uuid }),
        response: { 200: ExportSchema },
        problems: ['not_found'],
      },
    },
    async (request) => {
      const found = await getExportRequest(fastify.pg, request.params.id);
      if (!found) throw notFound('Export');
      return exportJson(found);
    },
  );

  fastify.get(
    '/exports/:id/file/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'downloadAuditExport',
        summary: 'Download a finished export: JSON Lines, streamed from disk (auditor role)',
        description: 'Verify it offline: npm run chat -- audit verify FILE --key VERIFIER_KEY',
        params: z.object({ id: Uuid }),
        produces: ['application/x-ndjson'],
        responseHeaders: ['Content-Disposition', 'Cache-Control'],
        response: { 200: z.any().describe('the export file (application/x-ndjson)') },
        problems: COMMAND_PROBLEMS,
      },
    },
    async (request, reply) => {
      const found = await getExportRequest(fastify.pg, request.params.id);
      if (found?.state !== 'done') throw notFound('Export');
      await record(request, 'export_download', found.roomId ? { roomId: found.roomId } : {}, {
        export: found.id,
      });
      const path = exportFilePath(fastify.config.AUDIT_EXPORTS_DIR, found.id);
      const { size } = await stat(path);
      return reply
        .header('Content-Type', 'application/x-ndjson')
        .header('Content-Length', size)
        .header('Content-Disposition', `attachment; filename="audit-export-${found.id}.jsonl"`)
        .header('Cache-Control', 'private, no-store')
        .send(createReadStream(path));
    },
  );
};

function versionJson(version: MessageVersion) {
  return {
    content: version.content,
    by: version.by,
    at: version.at.toISOString(),
    position: encodePosition(version.position),
  };
}

function roomStateJson(fold: RoomFold, messagesAfter: StorePosition | undefined, limit: number) {
  const room = fold.room!;
  const messages = [...fold.messages.values()].filter(
    (m) => !messagesAfter || comparePositions(m.sentPosition, messagesAfter) > 0,
  );
  const page = messages.slice(0, limit);
  return {
    id: room.roomId,
    name: room.name,
    room_type: room.roomType,
    created_by: room.createdBy,
    archived: room.archived,
    settings: room.settings,
    position: fold.position && encodePosition(fold.position),
    events: fold.events,
    members: Object.values(room.participants).map((p) => ({
      user_id: p.userId,
      username: p.username ?? null,
      active: p.active,
      is_admin: p.isAdmin,
      muted: p.mute !== null,
      muted_until: p.mute?.until ?? null,
      notifications_muted: p.notificationsMute !== null,
      last_read_message: fold.readMarkers.get(p.userId)?.lastReadMessageId ?? null,
      windows: (fold.windows.get(p.userId) ?? []).map((w) => ({
        from: encodePosition(w.from),
        to: w.to && encodePosition(w.to),
      })),
    })),
    messages: page.map(({ state, sentAt, sentPosition, versions }) => ({
      id: state.messageId,
      sender_id: state.senderId,
      message_type: state.sent.messageType,
      content: state.content,
      is_edited: versions.length > 1,
      is_deleted: state.deleted,
      is_hidden: state.hidden,
      sent_at: sentAt.toISOString(),
      position: encodePosition(sentPosition),
      reactions: Object.keys(state.reactions).map((key) => {
        const [user_id, emoji] = key.split('\u0000') as [string, string];
        return { user_id, emoji };
      }),
    })),
    messages_next: messages.length > limit ? encodePosition(page.at(-1)!.sentPosition) : null,
  };
}
