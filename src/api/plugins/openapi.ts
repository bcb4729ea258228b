// The OpenAPI document, generated from the routes' zod schemas: /openapi.json, and Swagger UI at /docs.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { DOCS_CSP } from '../../http/responseHeaders.ts';

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

const transform: typeof jsonSchemaTransform = (input) => {
  const output = jsonSchemaTransform(input);
  const consumes = (input.schema as { consumes?: string[] } | undefined)?.consumes;
  if (!consumes?.includes('multipart/form-data')) return output;
  return { ...output, schema: { ...output.schema, body: UPLOAD_BODY } };
};

export const openApiPlugin = fp(
  async (fastify) => {
    await fastify.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Chat API', version: '1.0.0', description: DESCRIPTION },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'rooms' },
          { name: 'messages' },
          { name: 'participants' },
          { name: 'safety', description: 'blocks, reports and moderation' },
          { name: 'attachments' },
          { name: 'health', description: 'liveness and readiness (no auth)' },
        ],
      },
      transform,
      transformObject: jsonSchemaTransformObject,
    });
    // Swagger UI's page is the one HTML this service serves: it runs only its own files
    await fastify.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  },
  { name: 'openapi' },
);
