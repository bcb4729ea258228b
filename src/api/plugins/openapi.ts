// The OpenAPI document, generated from the routes' zod schemas: /openapi.json, and Swagger UI at /docs.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

const DESCRIPTION = `REST API of the chat service. Every /api route needs \`Authorization: Bearer <access token>\`.

- Errors are \`application/problem+json\` with a stable \`code\` (and \`field\` for invalid input).
- A room you are not a participant of answers 404, as does everything in it.
- Writes answer once the event is durable, with \`position\` (also the \`X-Chat-Position\` header). Pass it as
  \`?wait_for=<position>\` to a read to see your own write (read-your-writes).
- Real time: \`GET /ws/chat/{room_id}/?token=<access token>\` (WebSocket).`;

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
    await fastify.register(fastifySwaggerUi, { routePrefix: '/docs' });
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  },
  { name: 'openapi' },
);
