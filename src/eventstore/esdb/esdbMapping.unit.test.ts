import type { RecordedEvent as EsdbRecordedEvent } from '@kurrent/kurrentdb-client';
import { describe, expect, it } from 'vitest';
import { START } from '../eventStore.ts';
import {
  exactMatchRegex,
  findBatch,
  fromEsdbEvent,
  isFullyServerSide,
  matchesFilter,
  serverSideFilter,
  staleCondition,
  toReadPosition,
} from './esdbMapping.ts';

const created = new Date('2026-01-02T03:04:05Z');

function esdbEvent(overrides: Partial<Record<string, unknown>> = {}): EsdbRecordedEvent {
  return {
    streamId: 'room-r1',
    id: '5b0f8c1e-0000-4000-8000-000000000001',
    isJson: true,
    revision: 3n,
    type: 'RoomCreated',
    created,
    data: { name: 'Lobby' },
    metadata: { roomId: 'r1', actorId: 'u1', occurredAt: created.toISOString(), schemaVersion: 1 },
    position: { commit: 1200n, prepare: 1100n },
    ...overrides,
  } as EsdbRecordedEvent;
}

describe('toReadPosition', () => {
  it('starts at the beginning of $all without a position or at our START sentinel', () => {
    expect(toReadPosition(undefined)).toBe('start');
    expect(toReadPosition(START)).toBe('start');
  });

  it('passes both parts of a real position through', () => {
    expect(toReadPosition({ commit: 10n, prepare: 7n })).toEqual({ commit: 10n, prepare: 7n });
  });
});

describe('findBatch', () => {
  const tail = ['a', 'b', 'c', 'd'].map((id, n) => fromEsdbEvent(esdbEvent({ id, revision: BigInt(n) }))!);
  const ids = (search: ReturnType<typeof findBatch>) =>
    search.found === 'same_batch' ? search.last.id : search.found;

  it('recognises the whole batch, in order, anywhere in the tail, and names its last event', () => {
    expect(findBatch(['b', 'c'], tail)).toMatchObject({
      found: 'same_batch',
      last: { id: 'c', revision: 2n },
    });
    expect(ids(findBatch(['a', 'b', 'c', 'd'], tail))).toBe('d');
    expect(ids(findBatch(['d'], tail))).toBe('d');
  });

  it('calls it partial when only some ids are there, or in another order', () => {
    expect(ids(findBatch(['c', 'x'], tail))).toBe('partial');
    expect(ids(findBatch(['x', 'b'], tail))).toBe('partial');
    expect(ids(findBatch(['c', 'b'], tail))).toBe('partial');
    expect(ids(findBatch(['d', 'e'], tail))).toBe('partial');
    expect(ids(findBatch(['a', 'c'], tail))).toBe('partial');
  });

  it('finds nothing when none of the ids are there', () => {
    expect(ids(findBatch(['x', 'y'], tail))).toBe('none');
    expect(ids(findBatch(['a'], []))).toBe('none');
  });
});

describe('exactMatchRegex', () => {
  it('matches exactly the listed values, not prefixes or lookalikes', () => {
    const regex = new RegExp(exactMatchRegex(['MessageSent', 'Room.Created']));
    expect(regex.test('MessageSent')).toBe(true);
    expect(regex.test('Room.Created')).toBe(true);
    expect(regex.test('MessageSentAgain')).toBe(false);
    expect(regex.test('XMessageSent')).toBe(false);
    expect(regex.test('RoomXCreated')).toBe(false);
  });
});

describe('serverSideFilter', () => {
  it('filters on stream name prefixes when given', () => {
    expect(serverSideFilter({ streamPrefixes: ['room-', 'message-'], eventTypes: ['X'] })).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['room-', 'message-'],
    });
  });

  it('filters on exact event types when no prefixes are given', () => {
    expect(serverSideFilter({ eventTypes: ['MessageSent'] })).toMatchObject({
      filterOn: 'eventType',
      regex: '^(?:MessageSent)$',
    });
  });

  it('still drops system events when nothing the server can use is given', () => {
    for (const filter of [undefined, {}, { roomId: 'r1' }]) {
      expect(serverSideFilter(filter)).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
    }
  });
});

describe('isFullyServerSide', () => {
  it('needs client-side filtering for a room, or for prefixes and types together', () => {
    expect(isFullyServerSide(undefined)).toBe(true);
    expect(isFullyServerSide({ streamPrefixes: ['room-'] })).toBe(true);
    expect(isFullyServerSide({ eventTypes: ['MessageSent'] })).toBe(true);
    expect(isFullyServerSide({ roomId: 'r1' })).toBe(false);
    expect(isFullyServerSide({ streamPrefixes: ['room-'], eventTypes: ['MessageSent'] })).toBe(false);
  });
});

describe('matchesFilter', () => {
  const event = fromEsdbEvent(esdbEvent())!;

  it('keeps everything without a filter', () => {
    expect(matchesFilter(event, undefined)).toBe(true);
  });

  it('requires every given part to match', () => {
    expect(matchesFilter(event, { streamPrefixes: ['message-', 'room-'] })).toBe(true);
    expect(matchesFilter(event, { streamPrefixes: ['message-'] })).toBe(false);
    expect(matchesFilter(event, { eventTypes: ['RoomCreated'] })).toBe(true);
    expect(matchesFilter(event, { eventTypes: ['Room'] })).toBe(false);
    expect(matchesFilter(event, { roomId: 'r1' })).toBe(true);
    expect(matchesFilter(event, { roomId: 'r2' })).toBe(false);
    expect(
      matchesFilter(event, { streamPrefixes: ['room-'], eventTypes: ['RoomCreated'], roomId: 'r2' }),
    ).toBe(false);
  });
});

describe('fromEsdbEvent', () => {
  it('maps every field of a recorded event, position parts included', () => {
    expect(fromEsdbEvent(esdbEvent())).toEqual({
      id: '5b0f8c1e-0000-4000-8000-000000000001',
      type: 'RoomCreated',
      data: { name: 'Lobby' },
      metadata: { roomId: 'r1', actorId: 'u1', occurredAt: created.toISOString(), schemaVersion: 1 },
      stream: 'room-r1',
      revision: 3n,
      position: { commit: 1200n, prepare: 1100n },
      recordedAt: created,
    });
  });

  it('skips system events, links and binary events: they are not ours', () => {
    expect(fromEsdbEvent(esdbEvent({ type: '$metadata', streamId: '$$room-r1' }))).toBeUndefined();
    expect(fromEsdbEvent(esdbEvent({ type: '$>', streamId: '$ce-room' }))).toBeUndefined();
    expect(fromEsdbEvent(esdbEvent({ streamId: '$scavenges' }))).toBeUndefined();
    expect(fromEsdbEvent(esdbEvent({ isJson: false, data: new Uint8Array([1]) }))).toBeUndefined();
  });

  it('refuses events without a position (servers before 22.6)', () => {
    expect(() => fromEsdbEvent(esdbEvent({ position: undefined }))).toThrow(/22\.6/);
  });
});

describe('staleCondition', () => {
  const conditions = [
    { stream: 'room-r1', revision: 4n },
    { stream: 'blocks-u1', revision: 'no_stream' as const },
  ];

  it('is undefined when every stream is at its revision, a missing one included', () => {
    expect(staleCondition(conditions, [4n, 'no_stream'])).toBeUndefined();
  });

  it('names the first stale stream with its expected and actual revision', () => {
    expect(staleCondition(conditions, [4n, 0n])).toMatchObject({
      name: 'WrongExpectedVersion',
      stream: 'blocks-u1',
      expected: 'no_stream',
      actual: 0n,
    });
    expect(staleCondition(conditions, ['no_stream', 0n])).toMatchObject({
      stream: 'room-r1',
      actual: 'no_stream',
    });
  });
});
