import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { completeOperation, finishDocument, problemResponses } from './openApiDocument.ts';

describe('problem answers in the document', () => {
  it('groups codes under the status the error table gives them, with the headers of that status', () => {
    const responses = problemResponses([
      'room_archived',
      'not_found',
      'concurrency_conflict',
      'token_expired',
    ]);
    expect(Object.keys(responses)).toEqual(['401', '404', '409']);
    expect(responses[409]).toMatchObject({
      description: 'Conflict: `concurrency_conflict`, `room_archived`',
      content: {
        'application/problem+json': {
          schema: {
            allOf: [
              { $ref: '#/components/schemas/Problem' },
              { properties: { code: { enum: ['concurrency_conflict', 'room_archived'] } } },
            ],
          },
        },
      },
    });
    expect(responses[401]).toHaveProperty('headers.WWW-Authenticate');
  });

  it('adds what the route’s shape can be refused for, and nothing for what it does not take', () => {
    const bare = completeOperation('GET', { security: [] }, { response: { 200: { type: 'object' } } });
    expect(Object.keys(bare.response as object)).toEqual(['200', '400', '408', '429', '431', '500']);
    const write = completeOperation(
      'POST',
      {
        body: z.object({}),
        params: z.object({}),
        problems: ['room_archived'],
        responseHeaders: ['X-Chat-Position'],
      },
      {
        response: { 200: { $ref: '#/components/schemas/Ack' } },
        problems: ['room_archived'],
        responseHeaders: ['X-Chat-Position'],
      },
    );
    const response = write.response as Record<
      string,
      { content?: Record<string, unknown>; headers?: object }
    >;
    expect(Object.keys(response)).toEqual(expect.arrayContaining(['401', '409', '413', '414', '415', '503']));
    expect(response[200]).toMatchObject({ headers: { 'X-Chat-Position': { type: 'string' } } });
    expect(write).not.toHaveProperty('problems');
    expect(write).not.toHaveProperty('x-optional-body');
  });

  it('marks a body the schema lets a client leave out', () => {
    expect(completeOperation('POST', { body: z.object({}).nullish() }, {})).toHaveProperty(
      'x-optional-body',
      true,
    );
  });
});

describe('the finished document', () => {
  const operation = (schema: object, extra: object = {}) => ({
    ...extra,
    requestBody: { required: true, content: { 'application/json': { schema } } },
    responses: {
      409: {
        content: {
          'application/problem+json': {
            schema: {
              allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { code: { enum: ['x'] } } }],
            },
          },
        },
      },
    },
  });
  const finished = finishDocument({
    paths: {
      '/a': { post: operation({ $ref: '#/components/schemas/CreateInput' }, { 'x-optional-body': true }) },
      '/b': { post: operation({ $ref: '#/components/schemas/UserInput' }) },
    },
    components: {
      schemas: {
        CreateInput: { properties: { user: { $ref: '#/components/schemas/UserInput' } } },
        UserInput: { type: 'object' },
        User: { type: 'object' },
        Create: { type: 'object' },
        Problem: { type: 'object' },
        ProblemInput: { type: 'object' },
        Unused: { type: 'object' },
      },
    },
  });

  it('keeps the components in use, named without Input when nothing else has the name', () => {
    expect(Object.keys(finished.components.schemas).sort()).toEqual(['Create', 'Problem', 'User']);
    expect(finished.components.schemas.Create).toEqual({
      properties: { user: { $ref: '#/components/schemas/User' } },
    });
    expect(finished.paths['/a'].post.requestBody).toEqual({
      required: false,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Create' } } },
    });
    expect(finished.paths['/b'].post.requestBody.required).toBe(true);
  });

  it('joins a problem answer’s codes to the Problem it refers to', () => {
    expect(finished.paths['/a'].post.responses[409].content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
      properties: { code: { enum: ['x'] } },
    });
  });
});
