// The OpenAPI contract hook: every HTTP answer a test app gives is checked against the document that app
// serves, as a client generated from it would read it (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 has it, the
// document's own $refs). The operation must list the status, the media type and the headers it marks
// required; a JSON body must match its schema (a problem's `code` one of those listed for that status).
// An accepted request (2xx) must be one the document allows: its path, query and body. A mismatch is kept
// and fails the test that caused it (contractSetup.ts, after each test); nothing of this runs outside tests.

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const DOCUMENT_ID = 'openapi.json';

type Parameter = { in: string; name: string; required?: boolean; schema?: object };
type Media = Record<string, { schema?: object }>;
type Response = { content?: Media; headers?: Record<string, { required?: boolean }> };
type Operation = {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Media };
  responses: Record<string, Response>;
};
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>> } & Record<string, unknown>;

/** What the test sent, as it arrived: before validation turned it into the route's types. */
type SentRequest = { body: unknown; query: Record<string, unknown>; params: Record<string, unknown> };

const pointer = (...parts: string[]) =>
  `${DOCUMENT_ID}#/${parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
const mediaTypeOf = (header: unknown) =>
  String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');
/** `/rooms/:id/` as the router has it, `/rooms/{id}/` as the document does */
const documentPath = (routeUrl: string) => routeUrl.replace(/:(\w+)/g, '{$1}');

export type ContractChecker = {
  /** why this answer (and the request it answers) disagrees with the document; empty when they agree */
  violations(request: FastifyRequest, reply: FastifyReply, payload: unknown): string[];
};

export function contractChecker(document: OpenApiDocument): ContractChecker {
  // strict off: the document is not a JSON Schema itself, only the schemas inside it are
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema(document, DOCUMENT_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string) => {
    const validate = compiled.get(ref) ?? ajv.compile({ $ref: ref });
    compiled.set(ref, validate);
    return validate;
  };
  const problemsOf = (ref: string, value: unknown) => {
    const validate = validatorAt(ref);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => {
      // a problem's code says most about what went wrong where: named with it
      const code =
        error.instancePath === '/code' ? ` (${JSON.stringify((value as { code?: unknown }).code)})` : '';
      return `${error.instancePath || '/'} ${error.message}${code}`;
    });
  };
  // query and path values arrive as text: typed the way the document types them before checking (Ajv
  // coerces a property in place, so each value is checked as one)
  const coercing = new Ajv2020({ strict: false, coerceTypes: true });
  addFormats.default(coercing);
  coercing.addSchema(structuredClone(document), DOCUMENT_ID);
  const parameterValidators = new Map<string, ValidateFunction>();
  const parameterAccepted = (ref: string, value: unknown) => {
    const validate =
      parameterValidators.get(ref) ??
      coercing.compile({ type: 'object', properties: { value: { $ref: ref } } });
    parameterValidators.set(ref, validate);
    return validate({ value });
  };
  const parsed = (payload: unknown): { json: unknown } | undefined => {
    try {
      return { json: JSON.parse(String(payload)) };
    } catch {
      return undefined;
    }
  };

  const requestViolations = (path: string, method: string, operation: Operation, sent: SentRequest) => {
    const found: string[] = [];
    (operation.parameters ?? []).forEach((parameter, index) => {
      const values =
        parameter.in === 'query' ? sent.query : parameter.in === 'path' ? sent.params : undefined;
      if (!values) return;
      const value = values[parameter.name];
      if (value === undefined) {
        if (parameter.required) found.push(`accepted without the required ${parameter.in} ${parameter.name}`);
        return;
      }
      if (!parameterAccepted(pointer('paths', path, method, 'parameters', String(index), 'schema'), value)) {
        found.push(
          `accepted ${parameter.in} ${parameter.name}=${JSON.stringify(value)} the document forbids`,
        );
      }
    });
    const body = operation.requestBody;
    // a multipart upload is read by its route, not parsed before it: nothing to compare here
    if (body && !body.content['application/json']) return found;
    if (sent.body === undefined) {
      if (body?.required) found.push('accepted without the body the document requires');
    } else if (body?.content['application/json']) {
      const ref = pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema');
      for (const problem of problemsOf(ref, sent.body))
        found.push(`accepted a body the document forbids: ${problem}`);
    }
    return found;
  };

  return {
    violations(request, reply, payload) {
      const status = reply.statusCode;
      const mediaType = mediaTypeOf(reply.getHeader('content-type'));
      const routeUrl = request.routeOptions.url;
      // no route: the router's own refusals (unknown path, bad percent-encoding) are problems all the same
      if (routeUrl === undefined) {
        if (mediaType !== 'application/problem+json') return [`no route, answered ${status} as ${mediaType}`];
        const problem = parsed(payload);
        if (!problem) return [`no route, answered ${status} with a body that is not JSON`];
        return problemsOf(pointer('components', 'schemas', 'Problem'), problem.json);
      }
      const path = documentPath(routeUrl);
      const method = request.method === 'HEAD' ? 'get' : request.method.toLowerCase();
      const operation = document.paths[path]?.[method];
      if (!operation) {
        const { schema, websocket } = request.routeOptions as {
          schema?: { hide?: boolean };
          websocket?: boolean;
        };
        // Swagger UI's files, the documents themselves, the WebSocket endpoints (AsyncAPI's to describe)
        if (schema?.hide || websocket) return [];
        return [`${request.method} ${path} is not in the document`];
      }
      const where = `${operation.operationId} answered ${status}`;
      const response = operation.responses[String(status)] ?? operation.responses.default;
      if (!response) return [`${where}, a status the document does not list`];
      const found: string[] = [];
      for (const [name, header] of Object.entries(response.headers ?? {})) {
        if (header.required && reply.getHeader(name) === undefined)
          found.push(`${where} without its ${name} header`);
      }
      const hasBody =
        payload !== undefined && payload !== null && payload !== '' && request.method !== 'HEAD';
      if (hasBody) {
        if (!response.content?.[mediaType]) {
          found.push(`${where} as ${mediaType || 'no media type'}, which the document does not list for it`);
        } else if (isJson(mediaType)) {
          const ref = pointer(
            'paths',
            path,
            method,
            'responses',
            String(status),
            'content',
            mediaType,
            'schema',
          );
          const body = parsed(payload);
          if (!body) found.push(`${where} as ${mediaType} with a body that is not JSON`);
          else for (const problem of problemsOf(ref, body.json)) found.push(`${where}: ${problem}`);
        }
      } else if (response.content && request.method !== 'HEAD' && status !== 204) {
        found.push(`${where} without the body the document describes`);
      }
      if (status < 400) {
        const sent = (request as RequestWithSent)[SENT];
        if (sent)
          found.push(...requestViolations(path, method, operation, sent).map((text) => `${where}: ${text}`));
      }
      return found;
    },
  };
}

const SENT = Symbol('the request as sent');
type RequestWithSent = FastifyRequest & { [SENT]?: SentRequest };

/** The disagreements found so far by every app in this test file, with the test app that saw them. */
const live = new Set<ContractWatch & { closed?: boolean }>();

/**
 * Takes (and forgets) every mismatch the test apps of this file have seen since the last call, also those
 * of an app closed since (a service a test restarts): closing does not excuse what it answered.
 */
export function takeAllMismatches(): string[] {
  const taken = [...live].flatMap((watch) => watch.mismatches.splice(0));
  for (const watch of live) if (watch.closed) live.delete(watch);
  return taken;
}

/** Throws with every mismatch the test apps of this file have seen since the last call (and forgets them). */
export function failOnMismatches(): void {
  const mismatches = takeAllMismatches();
  if (mismatches.length > 0) {
    throw new Error(`answers the OpenAPI document does not describe:\n${mismatches.join('\n')}`);
  }
}

export type ContractWatch = {
  mismatches: string[];
  /** stop watching (the app is closing); what it saw still fails the test, at its end */
  close(): void;
};

/**
 * Checks every answer of `app` against its own served document (or what `adjust` makes of a copy of it).
 * Call before `app.ready()`: the hooks go on the root, so every route has them.
 */
export function watchContract(
  app: FastifyInstance,
  adjust: (document: OpenApiDocument) => OpenApiDocument = (document) => document,
): ContractWatch {
  let checker: ContractChecker | undefined;
  const watch: ContractWatch & { closed?: boolean } = {
    mismatches: [],
    close() {
      watch.closed = true;
      if (watch.mismatches.length === 0) live.delete(watch);
    },
  };
  live.add(watch);
  // validation puts new values in their place and leaves these as they came (no copy: a body nested
  // thousands deep must reach validation and its 400, not overflow a clone here)
  app.addHook('preValidation', async (request: RequestWithSent) => {
    request[SENT] = {
      body: request.body,
      query: request.query as Record<string, unknown>,
      params: request.params as Record<string, unknown>,
    };
  });
  app.addHook('onSend', async (request, reply, payload) => {
    checker ??= contractChecker(adjust(structuredClone(app.swagger() as unknown as OpenApiDocument)));
    for (const violation of checker.violations(request, reply, payload)) {
      watch.mismatches.push(`${request.method} ${request.url}: ${violation}`);
    }
    return payload;
  });
  return watch;
}
