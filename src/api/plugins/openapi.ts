// The OpenAPI document, generated from the routes' zod schemas: /openapi.json, and Swagger UI at /docs.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { DOCS_CSP } from '../../http/responseHeaders.ts';
import { completeOperation, finishDocument } from '../openApiDocument.ts';

const DESCRIPTION = `REST API of the chat service. Every /api route needs \`Authorization: Bearer <access token>\`
(a JWT: user id in \`sub\` or SimpleJWT \`user_id\`, \`username\`, \`roles\`; \`token_type\` must be \`access\`).

- Errors are \`application/problem+json\` with a stable \`code\` (and \`field\` naming the bad input).
- A room you are not a participant of answers 404, as does everything in it.
- Writes answer once the event is durable, with \`position\` (also the \`X-Chat-Position\` header). Pass it as
  \`?wait_for=<position>\` to a read to see your own write. A send answers at once (its \`seq\` is null until
  projected); other writes answer with the projected resource, or 202 with just the position if that takes
  over 5 s.
- Unknown fields in a body are refused (400 \`unknown_field\`); ids are uuids.

**Real time (WebSocket).** \`/ws/chat/{room_id}/?token=<access token>&last_seq=<n>\` for one room, \`/ws/chat/\`
for all your rooms (send \`{"type":"subscribe","room_id":...,"last_seq":n}\`; it also tells you of rooms you
are added to or taken out of: \`room_added\`, \`room_removed\`). The token may also come as the
subprotocol pair \`bearer, <token>\` or as a first frame \`{"type":"authenticate","token":...}\`. Client frames:
\`chat_message\` (\`message\`, \`reply_to?\`, \`client_id?\`), \`typing\` (\`is_typing\`), \`read_receipt\`
(\`message_id\`), \`mark_room_read\`, \`ping\`. Every server frame of a room carries its \`seq\`: reconnect with the
last one you saw as \`last_seq\` to get exactly what you missed. Errors arrive as
\`{"type":"error","code","message"}\`; close codes 4001 (bad token), 4003 (not a participant), 4008 (token
expired), 4009 (too slow), 1012 (server restart: reconnect and resume). Every frame of both sockets:
[the AsyncAPI document](/asyncapi.json) ([rendered](/docs/asyncapi)). Full reference: docs/realtime.md.`;

/** Multipart bodies are parsed by @fastify/multipart, not validated by zod: documented here instead. */
const UPLOAD_BODY = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'the file (one part named "file")' } },
};

/**
 * The bridge's default override drops a union's branches that are still empty when it runs, and a schema
 * used a second time (the integer id of `task` after `participant_ids`) is empty then: only filled in
 * afterwards. Without it every branch stays; this project has no dates or `undefined` for it to rewrite.
 */
const zodToJsonConfig = { override: () => {} };
const bridge = createJsonSchemaTransform({ zodToJsonConfig });
const bridgeComponents = createJsonSchemaTransformObject({ zodToJsonConfig });

const transform: typeof bridge = (input) => {
  const output = bridge(input);
  if (!input.schema || output.schema.hide) return output;
  const schema = completeOperation(String(input.route.method), input.schema, output.schema as object);
  const consumes = (input.schema as { consumes?: string[] }).consumes;
  return {
    ...output,
    schema: consumes?.includes('multipart/form-data') ? { ...schema, body: UPLOAD_BODY } : schema,
  };
};

export const openApiPlugin = fp(
  async (fastify) => {
    await fastify.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Chat API',
          version: '1.0.0',
          description: DESCRIPTION,
          // package.json says UNLICENSED: no licence is granted (a private project), and the document says so
          license: { name: 'Proprietary (UNLICENSED): no licence is granted' },
        },
        servers: [
          {
            url: '{scheme}://{host}',
            description: 'a deployment of this service (npm start listens on port 8000)',
            variables: {
              scheme: { enum: ['https', 'http'], default: 'http' },
              host: { default: 'localhost:8000', description: 'host and port' },
            },
          },
        ],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'rooms', description: 'the caller’s rooms: list, create, read, change, archive, leave' },
          {
            name: 'messages',
            description:
              'history by cursor, send (idempotent with client_id), edit, delete, reactions, reads',
          },
          { name: 'participants', description: 'who is in a room: add, mute, make admin, remove' },
          { name: 'presence', description: 'who is online, for people who share a room' },
          { name: 'safety', description: 'blocks, reports and moderation' },
          {
            name: 'moderation',
            description:
              'the moderation policy: its rules, which judge every send and edit (flag, block or bounce)',
          },
          { name: 'attachments', description: 'upload a file to a room, download it (participants only)' },
          { name: 'health', description: 'liveness and readiness (no auth)' },
          {
            name: 'web',
            description:
              'the chatbox’s sign-in: its modes, and development tokens (only with the development secret)',
          },
          { name: 'ops', description: 'projection status and rebuilds (tokens with the ops role)' },
          { name: 'audit', description: 'the history from the event store (tokens with the auditor role)' },
          {
            name: 'privacy',
            description:
              'erasure, legal holds and retention: its policy and runs, dry or real (tokens with the ops or privacy_officer role)',
          },
        ],
      },
      transform,
      transformObject: (input) => finishDocument(bridgeComponents(input)),
    });
    // Swagger UI's page is the one HTML this service serves: it runs only its own files
    await fastify.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  },
  { name: 'openapi' },
);
