// The ops board: bull-board's UI over every job queue of the registry (the queues as the workers take
// from them, src/jobs/startJobs.ts), for tokens with the `ops` role, with retry, clean and the rest; and a
// read-only copy for moderators, whose queues are bull-board's `readOnlyMode` ones, so that its server
// refuses every action (405), whatever a page or a hand-made request asks. Anyone else: 404, like
// /api/ops.
//
// A browser cannot put a bearer token on the board's own requests, so it signs in once: POST
// /ops/board/session/ with the token sets it in a cookie (HttpOnly, SameSite=Strict, Path=/ops/board/,
// Secure over https) for as long as the token lives; every board request verifies it again, as the API
// verifies a bearer token. The API itself never reads the cookie. GET /ops/board/sign-in/ is a page
// that does that POST from a pasted token (a token never goes in a URL).
import { readFile } from 'node:fs/promises';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuthError, type AuthenticatedUser, type Role } from '../auth/tokenVerifier.ts';
import { isSameOrigin } from '../http/sameOrigin.ts';
import { registryQueues } from './ops.ts';
import { authenticate } from './plugins/auth.ts';
import { problemFor, sendProblem } from './plugins/errors.ts';
import { limitUserRequest } from './plugins/rateLimits.ts';
import { notFound } from './problems.ts';

export const BOARD_PATH = '/ops/board/';
/** the moderators' copy: under the board's path, so that the one cookie reaches both */
export const READ_ONLY_BOARD_PATH = `${BOARD_PATH}read-only/`;
export const BOARD_COOKIE = 'ops_board';
/** a cookie never outlives this, even for a token that lives longer */
const MAX_SESSION_SECONDS = 8 * 3_600;

/**
 * bull-board's page loads its scripts and styles from its own path, and a stylesheet from Google Fonts,
 * which is dropped from the page (onSend below): an ops page does not call out to a third party. Two
 * `<style>` elements are allowed by hash: the "Loading" placeholder's keyframes in the page, and the one
 * inside the UI's Redis logo SVG (a bull-board upgrade that changes either shows up as a CSP violation in
 * test/api/opsBoard.api.test.ts). The placeholder is styled by `style` attributes: allowed on these pages
 * only; scripts stay 'self' alone.
 */
export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src-elem 'self' 'sha256-dv714QSXJBurriRZTklJT4phtgwCe+o7Frxoi2awcdg=' 'sha256-r2N1TB/gHbBtBZFKg7ejmq1acVSREzucTAEw6ga4hoU='",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SIGN_IN_PAGE = new URL('./opsBoardSignIn/', import.meta.url);

/**
 * bull-board's actions that would run a job with data written by hand: a job runs a command as the
 * service (an unmute, an export, a retention run), so its data comes only from the events that call for
 * it (src/jobs/eventFollower.ts). And a job scheduler's schedule is config (RETENTION_RUN_EVERY_MS), not
 * a board setting. Retry, clean, promote, pause and the rest stay.
 */
const HAND_MADE_JOBS = new Set([
  '/api/queues/:queueName/add',
  '/api/queues/:queueName/:jobId/update-data',
  '/api/queues/:queueName/job-schedulers/:schedulerId',
]);

type BoardAccess = { path: string; readOnly: boolean; roles: readonly Role[] };
const FULL: BoardAccess = { path: BOARD_PATH, readOnly: false, roles: ['ops'] };
const READ_ONLY: BoardAccess = { path: READ_ONLY_BOARD_PATH, readOnly: true, roles: ['ops', 'moderator'] };

export const opsBoardRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const { queues } = registryQueues(fastify, 'ops-board');

  fastify.post(
    `${BOARD_PATH}session/`,
    {
      onRequest: [authenticate, limitUserRequest],
      schema: {
        tags: ['ops'],
        operationId: 'signInToOpsBoard',
        summary:
          'Sign a browser in to the job board: sets an HttpOnly cookie for /ops/board/ holding this token (ops: the board, moderators: read-only)',
        response: {
          200: z
            .object({
              board: z.string().describe('where this token may go: /ops/board/ or /ops/board/read-only/'),
              read_only: z.boolean(),
              expires_at: z.string().describe('when the cookie (and the sign-in) ends'),
            })
            .meta({ id: 'OpsBoardSession' }),
        },
        responseHeaders: ['Set-Cookie'],
        problems: ['not_found'],
      },
    },
    async (request, reply) => {
      const access = accessOf(request.user);
      if (!access) throw notFound('Resource');
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = Math.min(
        Math.floor(request.user.expiresAt.getTime() / 1000),
        now + MAX_SESSION_SECONDS,
      );
      const token = bearer(request);
      reply.header('Set-Cookie', sessionCookie(request, token, expiresAt - now));
      return {
        board: access.path,
        read_only: access.readOnly,
        expires_at: new Date(expiresAt * 1000).toISOString(),
      };
    },
  );

  fastify.delete(
    `${BOARD_PATH}session/`,
    {
      schema: {
        tags: ['ops'],
        security: [],
        operationId: 'signOutOfOpsBoard',
        summary: 'Sign a browser out of the job board: the cookie is cleared',
        response: { 200: z.object({ ok: z.literal(true) }) },
        responseHeaders: ['Set-Cookie'],
      },
    },
    async (request, reply) => {
      reply.header('Set-Cookie', sessionCookie(request, '', 0));
      return { ok: true as const };
    },
  );

  const page = await readFile(new URL('index.html', SIGN_IN_PAGE), 'utf8');
  const script = await readFile(new URL('signIn.js', SIGN_IN_PAGE), 'utf8');
  fastify.get(`${BOARD_PATH}sign-in/`, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('Content-Security-Policy', SIGN_IN_CSP)
      .header('Cache-Control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page),
  );
  fastify.get(`${BOARD_PATH}sign-in/signIn.js`, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('Cache-Control', 'no-cache').type('text/javascript; charset=utf-8').send(script),
  );

  for (const access of [FULL, READ_ONLY]) {
    await fastify.register(board(queues, access), { prefix: access.path.slice(0, -1) });
  }
};

const SIGN_IN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** ops get the whole board; moderators the read-only one; anyone else none */
function accessOf(user: AuthenticatedUser): BoardAccess | null {
  if (user.roles.includes('ops')) return FULL;
  if (user.roles.includes('moderator')) return READ_ONLY;
  return null;
}

/** One board over the queues, behind the cookie: the roles it admits, read-only or not. */
function board(queues: readonly Queue[], access: BoardAccess) {
  return async (scope: FastifyInstance) => {
    // the page's <base href>, which its scripts, styles and API calls are relative to
    const serverAdapter = new FastifyAdapter().setBasePath(access.path);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: access.readOnly })),
      serverAdapter,
      options: {
        uiConfig: { boardTitle: access.readOnly ? 'Jobs (read-only)' : 'Jobs' },
        handlerHooks: {
          before: ({ route }) =>
            HAND_MADE_JOBS.has(route)
              ? {
                  allow: false,
                  status: 403,
                  message: 'Jobs come from events and schedules from config: none is added or edited by hand',
                }
              : undefined,
        },
      },
    });
    // Answered here, not thrown: bull-board sets its own error handler on its routes, which would turn
    // a 404 into its 500-shaped JSON.
    scope.addHook('onRequest', async (request, reply) => {
      let user: AuthenticatedUser | null;
      try {
        user = await boardUser(request);
      } catch (error) {
        // the key source is away (auth_unavailable): a 503 problem, as the API answers it
        return sendProblem(reply, problemFor(error as Error, request));
      }
      if (!user || !access.roles.some((role) => user.roles.includes(role))) {
        return sendProblem(reply, { status: 404, code: 'not_found', detail: 'Resource not found' });
      }
      // an action comes from the board's own page: SameSite=Strict keeps other sites' requests from
      // carrying the cookie, and a browser that says where a request comes from must say this origin
      if (request.method !== 'GET' && request.method !== 'HEAD' && !sameOrigin(request)) {
        return sendProblem(reply, { status: 404, code: 'not_found', detail: 'Resource not found' });
      }
      return undefined;
    });
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!request.url.includes('/static/')) reply.header('Cache-Control', 'no-store');
      if (!String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
      reply.header('Content-Security-Policy', BOARD_CSP);
      reply.header('Referrer-Policy', 'no-referrer');
      return typeof payload === 'string' ? withoutThirdParties(payload) : payload;
    });
    await scope.register(serverAdapter.registerPlugin());
  };
}

/** the page as bull-board renders it, without its stylesheet from Google Fonts (system fonts instead) */
function withoutThirdParties(page: string): string {
  return page.replace(/<link [^>]*href="https:\/\/fonts\.googleapis\.com[^>]*>/g, '');
}

async function boardUser(request: FastifyRequest): Promise<AuthenticatedUser | null> {
  const token = cookieValue(request.headers.cookie, BOARD_COOKIE);
  if (!token) return null;
  try {
    return await request.server.verifyToken(token);
  } catch (error) {
    // an expired or forged cookie is no sign-in; an outage of the key source is an outage
    if (error instanceof AuthError) return null;
    throw error;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] !== 'cross-site';
  return isSameOrigin(origin, request.host);
}

function sessionCookie(request: FastifyRequest, token: string, maxAgeSeconds: number): string {
  return [
    `${BOARD_COOKIE}=${token}`,
    `Path=${BOARD_PATH}`,
    `Max-Age=${Math.max(0, maxAgeSeconds)}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(overHttps(request) ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Over https here, or at the proxy in front (deploy/nginx.conf sends X-Forwarded-Proto). The header is
 * believed without a trusted proxy because all it can do is make the cookie stricter.
 */
function overHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.protocol === 'https' || proto === 'https';
}

function bearer(request: FastifyRequest): string {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '')![1]!;
}
