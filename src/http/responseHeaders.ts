// Headers on every answer the app sends (REST, errors, 404s, /docs, /openapi.json, health), and the end of a
// connection whose request body is still arriving when the answer goes out.
import fp from 'fastify-plugin';

/**
 * /docs (Swagger UI) loads only its own scripts, styles and the document; no inline script, nothing from
 * elsewhere. The one inline style allowed, by its hash, is the `<style>` inside Swagger UI's own logo SVG
 * (`.logo_small_svg__cls-2{fill:#fff}...`); a Swagger UI upgrade that changes it shows up as a CSP violation
 * in test/api/browserDefaults.api.test.ts.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const responseHeadersPlugin = fp(
  async (fastify) => {
    fastify.addHook('onSend', async (request, reply) => {
      // a browser never guesses a type: JSON stays JSON, an error page is never run as HTML
      reply.header('X-Content-Type-Options', 'nosniff');
      // Answered before the body was read (a 401 in onRequest, a 404 before an upload): Node would go on
      // reading and discarding it for as long as the client sends, so the connection ends with the answer.
      // (`=== false`: an injected request has no `complete` and no connection)
      if (request.raw.complete === false) reply.header('Connection', 'close');
    });
  },
  { name: 'response-headers' },
);
