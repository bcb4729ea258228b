// Property-based fuzzing of every REST route (taken from the OpenAPI document, so a new route is fuzzed
// without a line here) and of every socket frame, with hostile strings (NUL, lone surrogates, bidi and
// control characters), huge numbers, nested and wrongly typed JSON. Holds: no 5xx, every refusal is
// problem+json with a code, no socket closes but with the documented code for what was sent (1007 invalid
// UTF-8, 1009 too large), no `internal_error` frame; and a well-behaved user in another room keeps sending
// throughout, every send acknowledged and delivered once. Routes behind a role (audit, ops, privacy) are
// mostly sent with that role, so their handlers are fuzzed too and not only their guards' 404.
//
// The case count is bounded for CI. A failure prints fast-check's seed and path; replay it with
// FUZZ_SEED=<seed> (and more cases with FUZZ_RUNS=<n>): npx vitest run test/api/fuzz.api.test.ts
import fc from 'fast-check';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLIENT_FRAMES } from '../../src/contract/frames.ts';
import { openSocket, type TestSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import {
  anyJson,
  hostileText,
  type JsonSchema,
  known,
  type Mode,
  RawBody,
  rawBody,
  resolveKnown,
  shapedBy,
  urlText,
} from './support/fuzzInputs.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
const REST_CASES = 1_500 * RUNS;
const FRAME_CASES = 600 * RUNS;

let t: TestApp;
let wsBase: string;
const fuzzer = uuidv4();
const victim = uuidv4();
/** ids the fuzzer may name: its rooms, messages, participants, itself and the victim (never the victim's room) */
const pool: string[] = [];
/** the same ids by the collection they belong to (`rooms`, `messages`, ...): what a path parameter names */
const poolByKind = new Map<string, string[]>();
function remember(kind: string, id: string) {
  if (!pool.includes(id)) pool.push(id);
  const ofKind = poolByKind.get(kind) ?? [];
  if (!ofKind.includes(id)) poolByKind.set(kind, [...ofKind, id]);
}
/** the collection a route's path parameter or answer belongs to: the static segment before it, or its last */
const kindBefore = (path: string, param: string) => path.split(`/{${param}}`)[0]!.split('/').at(-1)!;
const lastKind = (path: string) => {
  const last =
    path
      .split('/')
      .filter((segment) => segment && !segment.startsWith('{'))
      .at(-1) ?? '';
  return last.endsWith('s') ? last : `${last}s`;
};
let fuzzerHeaders: Record<string, string>;
/**
 * Who sends a case: the routes behind a role guard (404 for anyone else) are sent by a user with that role,
 * so that their inputs reach the handlers; one case in five keeps the moderator, for the guard itself.
 * These users never name the victim (an erasure of him would blank his messages): their ids leave him out.
 */
const GUARDED: { prefix: string; role: 'auditor' | 'ops' | 'privacy_officer' }[] = [
  { prefix: '/api/audit/', role: 'auditor' },
  { prefix: '/api/ops/', role: 'ops' },
  { prefix: '/api/privacy/', role: 'privacy_officer' },
];
const roleHeaders = new Map<string, Record<string, string>>();
const notVictim = (ids: readonly string[]) => ids.filter((id) => id !== victim);
let socketRoom: string;
let victimRoom: string;

beforeAll(async () => {
  // the rate limit is the hardening tests' subject; here it would only turn most frames into rate_limited
  t = await startTestApp(
    'fuzz',
    {},
    { realtimeLimits: { rate: { ratePerSecond: 100_000, burst: 100_000 } } },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  wsBase = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  fuzzerHeaders = await authFor(fuzzer, { username: 'fuzzer', roles: ['moderator'] });
  for (const { role } of GUARDED) {
    const id = uuidv4();
    roleHeaders.set(role, await authFor(id, { username: role, roles: [role] }));
    remember('users', id);
  }
  const post = async (headers: Record<string, string>, url: string, payload: object) =>
    (await t.app.inject({ method: 'POST', url, headers, payload })).json();
  const restRoom = (await post(fuzzerHeaders, '/api/chat/rooms/', { name: 'rest', room_type: 'group' })).id;
  socketRoom = (await post(fuzzerHeaders, '/api/chat/rooms/', { name: 'socket', room_type: 'group' })).id;
  const message = (await post(fuzzerHeaders, `/api/chat/rooms/${restRoom}/messages/`, { content: 'm' })).id;
  const participants = await t.app.inject({
    url: `/api/chat/rooms/${restRoom}/participants/`,
    headers: fuzzerHeaders,
  });
  // not socketRoom: REST cases would leave or archive it, and the frames' room would be gone
  remember('rooms', restRoom);
  remember('messages', message);
  remember('participants', participants.json()[0].id);
  remember('users', fuzzer);
  remember('users', victim);
  const victimHeaders = await authFor(victim, { username: 'victim' });
  victimRoom = (await post(victimHeaders, '/api/chat/rooms/', { name: 'work', room_type: 'group' })).id;
}, 30_000);
afterAll(async () => t?.stop());

/** The well-behaved user: sends in his own room over his socket until stopped, and checks every send. */
function wellBehavedUser() {
  const problems: string[] = [];
  let sent = 0;
  let stopped = false;
  const running = (async () => {
    const socket = openSocket(`${wsBase}/ws/chat/${victimRoom}/?token=${await mintToken(victim)}`);
    await socket.next('connection_established');
    while (!stopped) {
      const clientId = `v-${sent++}`;
      socket.send({ type: 'chat_message', message: `status ${clientId} ✓`, client_id: clientId });
      try {
        const ack = await socket.next((f) => f.client_id === clientId && f.type !== 'chat_message', 15_000);
        if (ack.type !== 'message_ack') problems.push(`${clientId}: ${JSON.stringify(ack)}`);
        await socket.next(
          (f) => f.type === 'chat_message' && (f.message as { id?: string }).id === ack.message_id,
        );
      } catch (error) {
        problems.push(`${clientId}: ${(error as Error).message}`);
      }
    }
    const delivered = socket.frames.filter((frame) => frame.type === 'chat_message');
    const ids = delivered.map((frame) => (frame.message as { id: string }).id);
    if (new Set(ids).size !== ids.length) problems.push('a message was delivered twice');
    if (ids.length !== sent) problems.push(`sent ${sent}, delivered ${ids.length}`);
    await socket.close();
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return { sent, problems };
    },
  };
}

type Route = {
  method: string;
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
};

function routesOf(spec: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema: JsonSchema }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
}): Route[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!),
      query: Object.fromEntries(
        (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
      ),
      body: operation.requestBody?.content['application/json']?.schema,
    })),
  );
}

describe('fuzzing every route and frame', () => {
  it('no 5xx, no undocumented close, and a user in another room never notices', async () => {
    const spec = (await t.app.inject({ url: '/openapi.json' })).json();
    const resolve = (ref: string) => spec.components.schemas[ref.split('/').at(-1)!] as JsonSchema;
    const routes = routesOf(spec);
    expect(routes.length).toBeGreaterThan(25);
    const user = wellBehavedUser();
    const fuzzed = (async () => {
      await fuzzRest(routes, resolve);
      await fuzzFrames();
    })();
    await fuzzed.catch(() => {});
    const { sent, problems } = await user.stop();
    await fuzzed; // its counterexample and seed first
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(20);
    // and the REST history holds each of the user's messages once
    const history = await t.app.inject({
      url: `/api/chat/rooms/${victimRoom}/messages/?limit=200`,
      headers: await authFor(victim),
    });
    const contents: string[] = history.json().results.map((m: { content: string }) => m.content);
    expect(new Set(contents).size).toBe(contents.length);
    expect(contents).toHaveLength(Math.min(sent, 200));
  }, 180_000);
});

async function fuzzRest(routes: Route[], resolve: (ref: string) => JsonSchema) {
  const rawSegment = fc.constantFrom('%00', '%ZZ', '%ED%A0%80', '%2e%2e', '..', '%2F', '');
  const pathValue = (kind: string, mode: Mode, idsOf: (ids: readonly string[]) => readonly string[]) => {
    const ofKind = known.map((value) => urlText(resolveKnown(value, idsOf(poolByKind.get(kind) ?? pool))));
    if (mode === 'plausible') return ofKind;
    return fc.oneof(
      { weight: 4, arbitrary: ofKind },
      { weight: 2, arbitrary: hostileText.map(urlText) },
      rawSegment,
    );
  };
  const request = fc
    .tuple(fc.constantFrom(...routes), fc.constantFrom<Mode>('plausible', 'hostile'), fc.nat(4))
    .chain(([route, mode, draw]) => {
      const guard = GUARDED.find(({ prefix }) => route.path.startsWith(prefix));
      const role = guard && draw > 0 ? guard.role : null;
      const idsOf = role ? notVictim : (all: readonly string[]) => all;
      return fc.record({
        route: fc.constant(route),
        mode: fc.constant(mode),
        role: fc.constant(role),
        params: fc.tuple(
          ...route.pathParams.map((name) => pathValue(kindBefore(route.path, name), mode, idsOf)),
        ),
        query: fc.record(
          Object.fromEntries(
            Object.entries(route.query).map(([name, schema]) => [name, shapedBy(schema, resolve, mode)]),
          ),
          { requiredKeys: [] },
        ),
        extraQuery:
          mode === 'hostile' ? fc.option(fc.tuple(hostileText, hostileText), { freq: 5 }) : fc.constant(null),
        body: route.body
          ? mode === 'hostile'
            ? fc.oneof(
                { weight: 8, arbitrary: shapedBy(route.body, resolve, mode) },
                { weight: 1, arbitrary: rawBody },
              )
            : shapedBy(route.body, resolve, mode)
          : mode === 'hostile'
            ? fc.option(anyJson, { freq: 8 })
            : fc.constant(null),
      });
    });
  /** answers below 400 to a role's cases, by guarded prefix: its handlers were reached, not only the guard */
  const handled = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(request, async ({ route, role, params, query, extraQuery, body }) => {
      const ids = role ? notVictim(pool) : pool;
      let url = route.path;
      route.pathParams.forEach((name, i) => {
        url = url.replace(`{${name}}`, params[i] as string);
      });
      const search = Object.entries(resolveKnown(query, ids) as Record<string, unknown>).map(
        ([name, value]) => `${name}=${urlText(value)}`,
      );
      if (extraQuery) search.push(`${urlText(extraQuery[0])}=${urlText(extraQuery[1])}`);
      if (search.length > 0) url += `?${search.join('&')}`;
      const payload =
        body instanceof RawBody
          ? body.text
          : body === null || body === undefined
            ? undefined
            : JSON.stringify(resolveKnown(body, ids));
      const answer = await t.app.inject({
        method: route.method as 'GET',
        url,
        headers: {
          ...(role ? roleHeaders.get(role) : fuzzerHeaders),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
      // /readyz answers 503 by design while a dependency is not ready
      if (!(route.path === '/readyz' && answer.statusCode === 503)) {
        expect(
          answer.statusCode,
          `${role ?? 'moderator'} ${route.method} ${url} ${payload?.slice(0, 300)}: ${answer.body.slice(0, 300)}`,
        ).toBeLessThan(500);
      }
      if (role && answer.statusCode < 400) {
        const { prefix } = GUARDED.find((guard) => guard.role === role)!;
        handled.set(prefix, (handled.get(prefix) ?? 0) + 1);
      }
      if (answer.statusCode >= 400) {
        const problem = answer.json();
        expect(problem.code).toEqual(expect.any(String));
        expect(answer.headers['content-type']).toContain('application/problem+json');
      } else if (answer.headers['content-type']?.toString().includes('json')) {
        const { id, position } = answer.json() as { id?: unknown; position?: unknown };
        if (typeof id === 'string') remember(lastKind(route.path), id);
        if (typeof position === 'string') remember('positions', position);
      }
    }),
    { seed: SEED, numRuns: REST_CASES },
  );
  for (const { prefix } of GUARDED) expect(handled.get(prefix) ?? 0, prefix).toBeGreaterThan(0);
}

/** DEFAULT_LIMITS.maxPayloadBytes: a larger frame closes the socket with 1009 */
const MAX_FRAME_BYTES = 64 * 1024;
const byteLength = (data: string | Buffer) => (Buffer.isBuffer(data) ? data.length : Buffer.byteLength(data));

type FrameCase = { socket: 'user' | 'room'; data: string | Buffer; closes?: number };

async function fuzzFrames() {
  // every client frame type, from the protocol's own schemas: a new frame type is fuzzed too
  const frameSchemas = Object.values(CLIENT_FRAMES).map((schema) => z.toJSONSchema(schema, { io: 'input' }));
  const noRefs = (ref: string): JsonSchema => {
    throw new Error(`no $ref expected in a frame schema: ${ref}`);
  };
  // the fuzzing user's frames name its socket room most of all
  const framePool = () => [socketRoom, socketRoom, ...pool];
  const shapedFrame = fc
    .tuple(fc.constantFrom(...frameSchemas), fc.constantFrom<Mode>('plausible', 'hostile'))
    .chain(([schema, mode]) => shapedBy(schema as JsonSchema, noRefs, mode))
    .map((frame) => JSON.stringify(resolveKnown(frame, framePool())) ?? 'null');
  const frameCase: fc.Arbitrary<FrameCase> = fc.record({
    socket: fc.constantFrom('user', 'room'),
    data: fc.oneof(
      { weight: 6, arbitrary: shapedFrame },
      {
        weight: 2,
        arbitrary: anyJson.map((value) => JSON.stringify(resolveKnown(value, framePool())) ?? 'null'),
      },
      { weight: 1, arbitrary: hostileText },
    ),
  });
  // what closes a socket by design: invalid UTF-8 (1007) and a frame over 64 KiB (1009)
  const fatalCase: fc.Arbitrary<FrameCase> = fc.oneof(
    fc.record({
      socket: fc.constantFrom('user', 'room'),
      data: fc.constantFrom(Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from([0xed, 0xa0, 0x80])),
      closes: fc.constant(1007),
    }),
    fc.record({
      socket: fc.constantFrom('user', 'room'),
      data: fc.constant(JSON.stringify({ type: 'chat_message', message: 'z'.repeat(70_000) })),
      closes: fc.constant(1009),
    }),
  );

  const sockets: { user?: TestSocket; room?: TestSocket } = {};
  const read: { user: number; room: number } = { user: 0, room: 0 };
  const connect = async (kind: 'user' | 'room') => {
    const path = kind === 'user' ? '/ws/chat/' : `/ws/chat/${socketRoom}/`;
    const socket = openSocket(
      `${wsBase}${path}?token=${await mintToken(fuzzer, { claims: { roles: ['moderator'] } })}`,
    );
    await socket.next('connection_established');
    if (kind === 'user') {
      socket.send({ type: 'subscribe', room_id: socketRoom });
      await socket.next('subscribed');
    }
    sockets[kind] = socket;
    read[kind] = socket.frames.length;
    return socket;
  };
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 30, arbitrary: frameCase }, fatalCase),
        async ({ socket: kind, data, closes: fatal }) => {
          const socket = sockets[kind] ?? (await connect(kind));
          if (Buffer.isBuffer(data)) socket.ws.send(data, { binary: false });
          else socket.sendRaw(data);
          const closes = fatal ?? (byteLength(data) > MAX_FRAME_BYTES ? 1009 : undefined);
          if (closes) {
            expect((await socket.closed).code).toBe(closes);
            delete sockets[kind];
            return;
          }
          // frames are handled in order: the pong comes once this one is done
          socket.send({ type: 'ping' });
          await socket
            .next((frame) => frame.type === 'pong', 15_000)
            .catch(async (error: Error) => {
              if (socket.ws.readyState !== socket.ws.CLOSED) throw error;
              const { code, reason } = await socket.closed;
              throw new Error(
                `the ${kind} socket closed with ${code} ${reason} after ${String(data).slice(0, 300)}`,
              );
            });
          const answers = socket.frames.slice(read[kind]);
          read[kind] = socket.frames.length;
          expect(
            answers.filter((frame) => frame.type === 'error' && frame.code === 'internal_error'),
          ).toEqual([]);
          expect(socket.ws.readyState, `${String(data).slice(0, 300)}`).toBe(socket.ws.OPEN);
        },
      ),
      // the sockets carry state from case to case: shrinking would replay a case on another state
      { seed: SEED, numRuns: FRAME_CASES, endOnFailure: true },
    );
  } finally {
    for (const socket of Object.values(sockets)) await socket?.close();
  }
}
