// How a route's schema becomes its OpenAPI operation, beyond what the zod bridge (fastify-type-provider-zod)
// writes: every problem the operation can answer, by status, with its `code` values (from the one error
// table, src/errors/errorTable.ts), the headers its answers carry, binary downloads with their media types,
// and an optional body that is optional. Then the document is tidied: components nothing refers to go, and a
// request shape is named without the bridge's `Input` suffix when no answer shares its name.
import { STATUS_CODES } from 'node:http';
import type { ZodType } from 'zod';
import { PROBLEM_STATUS, type ProblemCode } from '../errors/errorTable.ts';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The problem codes this route itself answers with (a refused command, a missing resource, a rule of
     * the route). What every route of its kind may answer is added from its shape: see `implicitProblems`.
     */
    problems?: readonly ProblemCode[];
    /** headers every 2xx answer of this route carries */
    responseHeaders?: readonly ResponseHeader[];
  }
}

/** The headers answers carry that a client acts on. */
export const RESPONSE_HEADERS = {
  'X-Chat-Position':
    'where the write’s event landed in the global order (also `position` in the body): pass it as `?wait_for=` to read your own write',
  ETag: 'the revision of the room or message as a weak ETag (`W/"3"`): send it back as `If-Match` to change only what you read',
  'Content-Disposition':
    'always `attachment`, with the stored file name (ASCII fallback and UTF-8 `filename*`)',
  'Cache-Control': '`private, no-store`',
  'Content-Security-Policy': "`default-src 'none'; sandbox`: a file opened in a browser runs nothing",
  'X-Content-Type-Options': '`nosniff`',
  'WWW-Authenticate': '`Bearer error="invalid_token", error_description="<code>"` (RFC 6750)',
  'Retry-After': 'seconds to wait before trying again',
  'Set-Cookie':
    '`ops_board=<token>; Path=/ops/board/; Max-Age=<seconds>; HttpOnly; SameSite=Strict` (and `Secure` over https): the job board’s sign-in',
} as const;

export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** What every command may answer: its room or message is not there (or not yours), a lost race, too big. */
export const COMMAND_PROBLEMS = ['not_found', 'concurrency_conflict', 'content_too_large'] as const;

/** Every write answers with its position. */
export const WRITE_HEADERS = ['X-Chat-Position'] as const;

/** The headers of problem answers, by status. */
const PROBLEM_HEADERS: Partial<Record<number, readonly ResponseHeader[]>> = {
  401: ['WWW-Authenticate'],
  429: ['Retry-After'],
  503: ['Retry-After'],
};

const TOKEN_PROBLEMS = Object.keys(PROBLEM_STATUS).filter((code) =>
  code.startsWith('token_'),
) as ProblemCode[];

type RouteShape = {
  authenticated: boolean;
  hasParams: boolean;
  hasQuery: boolean;
  hasJsonBody: boolean;
  takesBody: boolean;
};

/**
 * What an operation may answer whatever it does, from what it takes: the HTTP server's deadline and limits
 * and our own faults (every one); the token check, an outage and the rate limits (authenticated ones: they
 * reach the stores); a path parameter that is no id; a query or JSON body the schema refuses.
 */
export function implicitProblems(route: RouteShape): ProblemCode[] {
  const codes: ProblemCode[] = [
    'malformed_request',
    'request_timeout',
    'headers_too_large',
    'too_many_connections',
    'internal_error',
  ];
  // an authenticated route counts against its caller's rate limits, or without credentials against the
  // address's (src/api/plugins/rateLimits.ts); the unauthenticated ones are the exempt health probes
  if (route.authenticated) codes.push(...TOKEN_PROBLEMS, 'auth_unavailable', 'unavailable', 'rate_limited');
  if (route.hasParams) codes.push('validation_failed', 'malformed_url', 'uri_too_long');
  if (route.hasQuery) codes.push('validation_failed', 'unknown_field', 'invalid_text');
  // any write may come with a body, declared or not: it is parsed before the route (and the framework's
  // other refusals of a body, an aborted one, a wrong length, are bad_request)
  if (route.takesBody)
    codes.push('malformed_json', 'body_too_large', 'unsupported_media_type', 'bad_request');
  if (route.hasJsonBody) codes.push('validation_failed', 'unknown_field', 'invalid_text');
  return codes;
}

const PROBLEM_REF = '#/components/schemas/Problem';

function headerObjects(names: readonly ResponseHeader[]) {
  return Object.fromEntries(
    // the service always sends them with these answers: a client may rely on them
    names.map((name) => [name, { type: 'string', description: RESPONSE_HEADERS[name], required: true }]),
  );
}

/** The answers for these codes, one per status; each lists its codes as an enum of `code`. */
export function problemResponses(codes: readonly ProblemCode[]): Record<string, object> {
  const byStatus = new Map<number, Set<ProblemCode>>();
  for (const code of codes) {
    const status = PROBLEM_STATUS[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set<ProblemCode>()).add(code));
  }
  const responses: Record<string, object> = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    const sorted = [...set].sort();
    responses[status] = {
      description: `${STATUS_CODES[status]}: ${sorted.map((code) => `\`${code}\``).join(', ')}`,
      ...(PROBLEM_HEADERS[status] ? { headers: headerObjects(PROBLEM_HEADERS[status]) } : {}),
      content: {
        'application/problem+json': {
          // the swagger plugin drops a $ref's siblings: finishDocument joins the two again
          schema: { allOf: [{ $ref: PROBLEM_REF }, { properties: { code: { enum: sorted } } }] },
        },
      },
    };
  }
  return responses;
}

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: the write is durable, but the read models did not show it within 5 s; read it with `?wait_for=<position>`',
};

/** The zod schema accepts no body at all (`.nullish()`, `.optional()`): the document says so. */
function acceptsNoBody(body: unknown): boolean {
  return (body as ZodType | undefined)?.safeParse?.(undefined).success === true;
}

const OPTIONAL_BODY = 'x-optional-body';

type RouteSchema = {
  body?: unknown;
  params?: unknown;
  querystring?: unknown;
  security?: readonly unknown[];
  consumes?: readonly string[];
  produces?: readonly string[];
  problems?: readonly ProblemCode[];
  responseHeaders?: readonly ResponseHeader[];
};

/**
 * The route's operation, completed from the zod bridge's output (`bridged`): problem answers, 2xx headers,
 * binary media types, an optional body marked for `finishDocument`.
 */
export function completeOperation(
  method: string,
  route: RouteSchema,
  bridged: object,
): Record<string, unknown> {
  const {
    problems = [],
    responseHeaders = [],
    produces,
    response = {},
    ...rest
  } = bridged as RouteSchema & {
    response?: Record<string, unknown>;
  };
  const multipart = route.consumes?.includes('multipart/form-data') ?? false;
  const shape: RouteShape = {
    authenticated: route.security?.length !== 0,
    hasParams: route.params !== undefined,
    hasQuery: route.querystring !== undefined,
    hasJsonBody: route.body !== undefined && !multipart,
    takesBody: method !== 'GET' && method !== 'HEAD',
  };
  const success: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(response)) {
    const content = produces
      ? Object.fromEntries(produces.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]))
      : { 'application/json': { schema } };
    success[status] = {
      description: (schema as { description?: string }).description ?? SUCCESS_DESCRIPTIONS[status] ?? 'OK',
      ...(responseHeaders.length > 0 ? { headers: headerObjects(responseHeaders) } : {}),
      content,
    };
  }
  return {
    ...rest,
    ...(acceptsNoBody(route.body) ? { [OPTIONAL_BODY]: true } : {}),
    response: { ...success, ...problemResponses([...implicitProblems(shape), ...problems]) },
  };
}

type MediaType = { schema?: { allOf?: { $ref?: string }[] } & Record<string, unknown> };
type Operation = {
  requestBody?: { required?: boolean };
  responses?: Record<
    string,
    {
      content?: Record<string, MediaType>;
      headers?: Record<string, { required?: boolean; schema?: { required?: unknown } }>;
    }
  >;
} & Record<string, unknown>;
type Document = {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
} & Record<string, unknown>;

const SCHEMA_REF_PREFIX = '#/components/schemas/';

function referencedNames(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const entry of value) referencedNames(entry, into);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF_PREFIX)) {
        into.add(child.slice(SCHEMA_REF_PREFIX.length));
      } else referencedNames(child, into);
    }
  }
}

/** The document as served: optional bodies optional, only components in use, request shapes named plainly. */
export function finishDocument<T extends object>(served: T): T {
  const document = served as Document;
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (operation[OPTIONAL_BODY] && operation.requestBody) operation.requestBody.required = false;
      delete operation[OPTIONAL_BODY];
      for (const response of Object.values(operation.responses ?? {})) {
        // the swagger plugin puts all but a header's description into its schema
        for (const header of Object.values(response.headers ?? {})) {
          if (header.schema?.required === true) {
            delete header.schema.required;
            header.required = true;
          }
        }
        const media = response.content?.['application/problem+json'];
        const [problem, codes] = media?.schema?.allOf ?? [];
        // Problem, with this answer's codes: generators read the one shape, validators the codes too
        if (media && problem?.$ref === PROBLEM_REF) media.schema = { ...problem, ...codes };
      }
    }
  }
  const schemas = document.components?.schemas ?? {};
  // what the paths use, and what that uses in turn
  const used = new Set<string>();
  referencedNames(document.paths, used);
  for (let pending = [...used]; pending.length > 0; ) {
    const found = new Set<string>();
    for (const name of pending) referencedNames(schemas[name], found);
    pending = [...found].filter((name) => !used.has(name));
    for (const name of pending) used.add(name);
  }
  const renames = new Map<string, string>();
  for (const name of used) {
    const plain = name.replace(/Input$/, '');
    if (plain !== name && !used.has(plain)) renames.set(name, plain);
  }
  const kept: Record<string, unknown> = {};
  for (const name of [...used].sort()) kept[renames.get(name) ?? name] = schemas[name];
  const text = JSON.stringify({ ...document, components: { ...document.components, schemas: kept } });
  return JSON.parse(text, (key, value) =>
    key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF_PREFIX)
      ? `${SCHEMA_REF_PREFIX}${renames.get(value.slice(SCHEMA_REF_PREFIX.length)) ?? value.slice(SCHEMA_REF_PREFIX.length)}`
      : value,
  );
}
