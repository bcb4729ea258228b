import { describe, expect, it } from 'vitest';
import { errorSummary, isDependencyUnavailable } from './dependencyErrors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (message: string, name: string) => Object.assign(new Error(message), { name });

describe('isDependencyUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['pg-pool timing out', new Error('timeout exceeded when trying to connect')],
    [
      'PostgreSQL shutting down (57P01)',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['PostgreSQL starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection exception (08006)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    [
      'ioredis giving up on a queued command',
      named('Reached the max retries per request limit (which is 2).', 'MaxRetriesPerRequestError'),
    ],
    ['an ioredis command timeout', new Error('Command timed out')],
    ['ioredis closed', new Error('Connection is closed.')],
    ['every address refused', new AggregateError([withCode('connect ECONNREFUSED ::1', 'ECONNREFUSED')])],
    ['a wrapped cause', new Error('append failed', { cause: new Error('Connection terminated') })],
  ])('%s', (_name, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violation (23505)', withCode('duplicate key value violates unique constraint', '23505')],
    ['bad text (22P05)', withCode('unsupported Unicode escape sequence', '22P05')],
    ['a statement timeout (57014)', withCode('canceling statement due to statement timeout', '57014')],
    ['not an error', 'ECONNREFUSED'],
  ])('not %s', (_name, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});

describe('errorSummary', () => {
  it('keeps the name, code and message, never the stack', () => {
    const summary = errorSummary(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
    expect(summary).toEqual({
      type: 'Error',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:5432',
    });
    expect(JSON.stringify(summary)).not.toContain('at ');
  });
});
