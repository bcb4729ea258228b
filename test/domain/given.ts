// Given/when/then for deciders: fold the given events into a state, run the decision, and compare the
// recorded events or the DomainError code. No I/O.
import { expect } from 'vitest';
import type { Actor, Role, WhoAndWhen } from '../../src/domain/actor.ts';
import type { Aggregate } from '../../src/domain/aggregate.ts';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.ts';
import type { AttachmentRef, MessageSent, RoomCreated, RoomEvent } from '../../src/domain/events.ts';

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const LATER = '2026-03-01T13:00:00.000Z';
export const EARLIER = '2026-03-01T11:00:00.000Z';

export const ROOM = '0190f000-0000-7000-8000-000000000001';
export const OTHER_ROOM = '0190f000-0000-7000-8000-000000000002';
export const MESSAGE = '0190f000-0000-7000-8000-0000000000a1';

export function actor(userId: string, roles: Role[] = []): Actor {
  return { userId, username: userId, roles };
}

export function as(userId: string, roles: Role[] = [], now = NOW): WhoAndWhen {
  return { actor: actor(userId, roles), now };
}

export function fold<State, Event extends { type: string; data: unknown }>(
  aggregate: Aggregate<State, Event>,
  events: readonly Event[],
): State {
  return events.reduce(aggregate.evolve, aggregate.initialState());
}

/** The expected outcome is the events recorded, or the code of the DomainError refused with. */
export type Expected = readonly { type: string; data: unknown }[] | { error: DomainErrorCode };

export function expectThen(run: () => readonly { type: string; data: unknown }[], expected: Expected): void {
  if ('error' in expected) {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, `expected DomainError ${expected.error}`).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe(expected.error);
    return;
  }
  expect(run()).toEqual(expected);
}

// ── a group room: alice (admin), bob and carol ──────────────────────────────────────────────────────

export function roomCreated(overrides: Partial<RoomCreated['data']> = {}): RoomCreated {
  return {
    type: 'RoomCreated',
    data: {
      roomId: ROOM,
      name: 'Maintenance',
      roomType: 'group',
      taskId: null,
      propertyId: null,
      createdBy: 'alice',
      participants: [
        { userId: 'alice', username: 'alice', isAdmin: true },
        { userId: 'bob', username: 'bob', isAdmin: false },
        { userId: 'carol', username: 'carol', isAdmin: false },
      ],
      settings: {},
      ...overrides,
    },
  };
}

export const directRoomCreated = (roomId: string, a: string, b: string): RoomCreated =>
  roomCreated({
    roomId,
    name: '',
    roomType: 'direct',
    createdBy: a,
    participants: [
      { userId: a, username: a, isAdmin: false },
      { userId: b, username: b, isAdmin: false },
    ],
  });

export const left = (userId: string): RoomEvent => ({
  type: 'ParticipantLeft',
  data: { roomId: ROOM, userId },
});
export const removed = (userId: string, by = 'alice'): RoomEvent => ({
  type: 'ParticipantRemoved',
  data: { roomId: ROOM, userId, removedBy: by },
});
export const adminSet = (userId: string, isAdmin: boolean): RoomEvent => ({
  type: 'ParticipantAdminSet',
  data: { roomId: ROOM, userId, isAdmin, setBy: 'alice' },
});
export const muted = (userId: string, until: string | null): RoomEvent => ({
  type: 'ParticipantMuted',
  data: { roomId: ROOM, userId, until, mutedBy: 'alice' },
});
export const archived: RoomEvent = { type: 'RoomArchived', data: { roomId: ROOM, archivedBy: 'alice' } };

export const photo: AttachmentRef = {
  id: 'att-1',
  fileName: 'leak.jpg',
  contentType: 'image/jpeg',
  sizeBytes: 1000,
};

export function messageSent(overrides: Partial<MessageSent['data']> = {}): MessageSent {
  return {
    type: 'MessageSent',
    data: {
      messageId: MESSAGE,
      roomId: ROOM,
      senderId: 'bob',
      senderUsername: 'bob',
      messageType: 'text',
      content: 'The sink leaks',
      replyTo: null,
      attachment: null,
      clientId: null,
      ...overrides,
    },
  };
}
