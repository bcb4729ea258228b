// The served OpenAPI document says what the service does: every operation named, every problem it can
// answer listed with its codes, binary downloads with their media types, the headers a client acts on,
// and the requests the service accepts (integer ids, a mark-read without a body) allowed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_STATUS } from '../../src/errors/errorTable.ts';
import { clientFor, type UserClient } from './support/client.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: Record<string, { schema: { $ref?: string; properties?: { code?: { enum?: string[] } } } }>;
    }
  >;
};
// biome-ignore lint/suspicious/noExplicitAny: the document is read field by field
let doc: any;
let t: TestApp;
let alice: UserClient;

const operations = (): [string, string, Operation][] =>
  Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, string, Operation] => [
      path,
      method,
      operation,
    ]),
  );
const operation = (id: string) => operations().find(([, , op]) => op.operationId === id)![2];
const codesOf = (op: Operation, status: number) =>
  op.responses[status]?.content?.['application/problem+json']?.schema.properties?.code?.enum;

beforeAll(async () => {
  t = await startTestApp('openapi_document');
  alice = await clientFor(t.app, randomUUID(), { username: 'alice' });
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.stop();
});

describe('the OpenAPI document', () => {
  it('names every operation once, with a tag the document describes', () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(['listRooms', 'sendMessage', 'markRoomRead', 'uploadAttachment']),
    );
    const described = new Set(
      doc.tags
        .filter((tag: { description?: string }) => tag.description)
        .map((tag: { name: string }) => tag.name),
    );
    for (const [, , op] of operations()) for (const tag of op.tags ?? []) expect(described).toContain(tag);
    expect(doc.info.license.name).toMatch(/UNLICENSED/);
    expect(doc.servers[0].url).toBeTruthy();
  });

  it('lists every problem as problem+json with its codes, each under the status the error table gives it', () => {
    for (const [path, method, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || path === '/readyz') continue;
        const codes = codesOf(op, Number(status));
        expect(codes, `${method} ${path} ${status}`).toBeDefined();
        for (const code of codes!)
          expect(PROBLEM_STATUS[code as keyof typeof PROBLEM_STATUS]).toBe(Number(status));
        expect(response.content?.['application/problem+json']?.schema.$ref).toBe(
          '#/components/schemas/Problem',
        );
      }
    }
    const send = operation('sendMessage');
    expect(codesOf(send, 413)).toEqual(expect.arrayContaining(['body_too_large', 'content_too_large']));
    expect(codesOf(send, 415)).toContain('unsupported_media_type');
    expect(codesOf(send, 409)).toContain('idempotency_conflict');
    expect(codesOf(send, 408)).toEqual(['request_timeout']);
    expect(codesOf(send, 503)).toEqual(['auth_unavailable', 'unavailable']);
    expect(send.responses[401]!.headers).toHaveProperty('WWW-Authenticate');
    expect(send.responses[503]!.headers).toHaveProperty('Retry-After');
    expect(send.responses[201]!.headers).toHaveProperty('X-Chat-Position');
    expect(codesOf(operation('updateRoom'), 412)).toEqual(['precondition_failed']);
    expect(operation('getRoom').responses[200]!.headers).toHaveProperty('ETag');
    // no token, no 401: health answers anyone
    expect(operation('getLiveness').responses).not.toHaveProperty('401');
  });

  it('describes the download as the file it is, with its headers', () => {
    const download = operation('downloadAttachment').responses[200]!;
    expect(Object.keys(download.content!)).toEqual(
      expect.arrayContaining(['image/png', 'image/jpeg', 'application/pdf']),
    );
    expect(download.content).not.toHaveProperty('application/json');
    expect(Object.keys(download.headers!)).toEqual(
      expect.arrayContaining([
        'Content-Disposition',
        'Cache-Control',
        'Content-Security-Policy',
        'X-Content-Type-Options',
      ]),
    );
  });

  it('keeps only the components it uses, request shapes named plainly', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names.filter((name) => name.endsWith('Input'))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining(['CreateRoom', 'SendMessage', 'Room', 'Message', 'Problem']),
    );
    expect(operation('createRoom').requestBody!.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/CreateRoom',
    });
  });

  it('allows the integer ids and the empty mark-read the service accepts', async () => {
    const integerBranch = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
    const create = doc.components.schemas.CreateRoom.properties;
    expect(JSON.stringify(create.task)).toContain(JSON.stringify(integerBranch));
    expect(JSON.stringify(create.participant_ids.items)).toContain(JSON.stringify(integerBranch));
    expect(operation('markRoomRead').requestBody!.required).toBe(false);

    const created = await alice.post('/api/chat/rooms/', {
      room_type: 'task',
      task: 17,
      participant_ids: [42],
    });
    expect([201, 202]).toContain(created.status);
    const listed = await alice.get(`/api/chat/rooms/?task=17&wait_for=${created.body.position}`);
    expect(listed.body.results).toMatchObject([{ task: '17', participant_count: 2 }]);
    const read = await t.app.inject({
      method: 'POST',
      url: `/api/chat/rooms/${listed.body.results[0].id}/mark-read/`,
      headers: await authFor(alice.userId),
    });
    expect(read.statusCode).toBe(200);
  });
});
