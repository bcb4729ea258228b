// The chatbox (web/, built by Vite into web/dist) served at `/`: hashed assets cached for a year, the page
// itself revalidated on every load, gzip/brotli copies written at build time sent to browsers that take
// them, and a strict Content-Security-Policy (only the page's own scripts and styles, no inline script;
// connections to this origin and the configured Django login).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export function webCsp(loginUrls: readonly (string | undefined)[]): string {
  const origins = loginUrls.flatMap((url) => (url ? [new URL(url).origin] : []));
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // attachments are fetched with the token and shown from blob: URLs
    "img-src 'self' blob: data:",
    `connect-src 'self' ${origins.join(' ')}`.trim(),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const webPageRoutes: FastifyPluginAsync = async (fastify) => {
  const csp = webCsp([fastify.config.CHAT_WEB_LOGIN_URL, fastify.config.CHAT_WEB_REFRESH_URL]);
  if (!existsSync(`${WEB_DIST}index.html`)) {
    fastify.log.warn('web/dist is missing: the chatbox is not built (npm run build:web)');
    // a page, not an API operation: kept out of the OpenAPI document like /docs
    fastify.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain').send('The chatbox is not built: run npm run build:web\n'),
    );
    return;
  }
  await fastify.register(fastifyStatic, {
    root: WEB_DIST,
    prefix: '/',
    // Swagger UI registers the plugin too
    decorateReply: false,
    preCompressed: true,
    index: ['index.html'],
    wildcard: false,
    cacheControl: false,
    setHeaders(response, path) {
      response.header('Content-Security-Policy', csp);
      response.header('Referrer-Policy', 'no-referrer');
      response.header(
        'Cache-Control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
};
