import type { RecordedEvent as EsdbRecordedEvent } from '@kurrent/kurrentdb-client';
import { describe, expect, it } from 'vitest';
import { START } from '../eventStore.ts';
import {
  exactMatchRegex,
  fromEsdbEvent,
  isFullyServerSide,
  matchesFilter,
  matchRetry,
  retryStartRevision,
  serverSideFilter,
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

describe('retryStartRevision', () => {
  it('looks for a no_stream batch at revision 0 and an exact-revision batch right after that revision', () => {
    expect(retryStartRevision('no_stream')).toBe(0n);
    expect(retryStartRevision(4n)).toBe(5n);
  });

  it('has nowhere to look for any / stream_exists (the server reports no conflict for them)', () => {
    expect(retryStartRevision('any')).toBeUndefined();
    expect(retryStartRevision('stream_exists')).toBeUndefined();
  });
});

describe('matchRetry', () => {
  it('recognises the same batch in the same order as a retry', () => {
    expect(matchRetry(['a', 'b'], ['a', 'b'])).toBe('same_batch');
  });

  it('calls it partial when only some ids are there, or in another order', () => {
    expect(matchRetry(['a', 'b'], ['a', 'x'])).toBe('partial');
    expect(matchRetry(['a', 'b'], ['x', 'b'])).toBe('partial');
    expect(matchRetry(['a', 'b'], ['b', 'a'])).toBe('partial');
    expect(matchRetry(['a', 'b'], ['a'])).toBe('partial');
  });

  it('sees a real conflict when none of the ids are there', () => {
    expect(matchRetry(['a', 'b'], ['x', 'y'])).toBe('none');
    expect(matchRetry(['a'], [])).toBe('none');
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
