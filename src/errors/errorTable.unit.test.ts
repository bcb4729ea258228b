import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth/tokenVerifier.ts';
import { DomainError } from '../domain/errors.ts';
import { EventNotStorable, IdempotencyMismatch, WrongExpectedVersion } from '../eventstore/eventStore.ts';
import { RateLimited } from '../limits/rateLimits.ts';
import { SlowModeActive } from '../limits/slowModeGate.ts';
import { answerFor } from './errorTable.ts';

describe('the error table REST and the socket share', () => {
  it.each([
    [
      'a domain refusal keeps its code',
      new DomainError('room_archived', 'archived'),
      'client',
      409,
      'room_archived',
    ],
    [
      '"not yours" reads as "not there"',
      new DomainError('not_a_participant', 'no'),
      'client',
      404,
      'not_found',
    ],
    [
      'a lost race is a conflict, not our fault',
      new WrongExpectedVersion('room-1', 3n, 4n),
      'client',
      409,
      'concurrency_conflict',
    ],
    [
      'a reused idempotency key',
      new IdempotencyMismatch('message-1', 'x'),
      'client',
      409,
      'idempotency_conflict',
    ],
    [
      'text the store cannot hold',
      new EventNotStorable('e', 'a NUL character'),
      'client',
      400,
      'invalid_text',
    ],
    ['a refused token', new AuthError('token_expired', 'expired'), 'client', 401, 'token_expired'],
    [
      'keys that cannot be fetched',
      new AuthError('auth_unavailable', 'jwks down'),
      'unavailable',
      503,
      'auth_unavailable',
    ],
    [
      'a database that is away',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'unavailable',
      503,
      'unavailable',
    ],
    ['anything else', new TypeError('x is undefined'), 'internal', 500, 'internal_error'],
  ])('%s', (_name, error, kind, status, code) => {
    expect(answerFor(error)).toMatchObject({ kind, status, code });
  });

  it('over a limit: 429 rate_limited, with when to try again', () => {
    expect(answerFor(new RateLimited('send', 700))).toMatchObject({
      kind: 'client',
      status: 429,
      code: 'rate_limited',
      retryAfterMs: 700,
    });
  });

  it('a send within the room’s slow mode: 429 slow_mode, with when to try again', () => {
    expect(answerFor(new SlowModeActive(4_200))).toMatchObject({
      status: 429,
      code: 'slow_mode',
      retryAfterMs: 4_200,
    });
  });
});
