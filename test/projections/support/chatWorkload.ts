// A deterministic, realistic stream of chat events for tests and the projections benchmark: rooms with
// members, then mostly messages (90%) with edits, reactions, read markers, membership changes, deletes,
// moderation hides/restores and reports mixed in. Every event is valid for the state before it. A third of
// the rooms show each member only their own time in the room (`joined` history), and renames now and then
// switch it (without drawing from the random sequence, so the rest of the workload stays as it was).
import { randomUUID } from 'node:crypto';
import type { ChatEvent } from '../../../src/domain/events.ts';
import {
  auditReadStream,
  blocksStream,
  erasureStream,
  legalHoldStream,
  messageStream,
  RETENTION_POLICY_STREAM,
  readMarkerStream,
  reportId,
  reportStream,
  retentionStream,
  roomStream,
} from '../../../src/domain/streams.ts';
import type { EventToAppend } from '../../../src/eventstore/eventStore.ts';

export type WorkloadEvent = { stream: string; event: EventToAppend };

export function streamOf(event: ChatEvent): string {
  switch (event.type) {
    case 'MessageSent':
    case 'MessageEdited':
    case 'MessageDeleted':
    case 'MessageHidden':
    case 'MessageRestored':
    case 'ReactionAdded':
    case 'ReactionRemoved':
      return messageStream(event.data.messageId);
    case 'MessagesRead':
    case 'RoomMarkedRead':
      return readMarkerStream(event.data.roomId, event.data.userId);
    case 'UserBlocked':
    case 'UserUnblocked':
      return blocksStream(event.data.userId);
    case 'MessageReported':
    case 'ReportResolved':
      return reportStream(event.data.reportId);
    case 'AuditorRead':
      return auditReadStream(event.data.readId);
    case 'ErasureQueued':
    case 'SubjectErased':
      return erasureStream(event.data.erasureId);
    case 'LegalHoldPlaced':
    case 'LegalHoldReleased':
      return legalHoldStream(event.data.holdId);
    case 'RetentionPolicySet':
      return RETENTION_POLICY_STREAM;
    case 'RetentionApplied':
      return retentionStream(event.data.roomId);
    default:
      return roomStream(event.data.roomId);
  }
}

export function toAppend(event: ChatEvent, occurredAt = new Date().toISOString()): WorkloadEvent {
  const roomId = 'roomId' in event.data ? event.data.roomId : undefined;
  return {
    stream: streamOf(event),
    event: {
      id: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: { occurredAt, schemaVersion: 1, roomId },
    },
  };
}

/** mulberry32: a small seeded PRNG, so a workload is the same on every run */
export function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type RoomState = {
  id: string;
  members: string[];
  formerMembers: string[];
  messages: string[];
  hidden: string[];
};

export type WorkloadOptions = {
  rooms: number;
  users: number;
  seed?: number;
  startTime?: number;
  /**
   * every `attachmentEvery`-th event, when it is a message, carries an attachment (its metadata is
   * encrypted too: docs/privacy.md); chosen by count, not drawn, so the rest of the workload stays as it was
   */
  attachmentEvery?: number;
};

/** Yields `count` events: first the rooms, then the mix. */
export function* chatWorkload(count: number, options: WorkloadOptions): Generator<WorkloadEvent> {
  const rand = random(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const users = Array.from({ length: options.users }, (_, i) => `user-${i}`);
  const rooms: RoomState[] = [];
  let clock = options.startTime ?? Date.parse('2026-01-01T00:00:00Z');
  let produced = 0;
  const emit = (event: ChatEvent) => {
    produced += 1;
    clock += 7;
    return toAppend(event, new Date(clock).toISOString());
  };

  for (let r = 0; r < options.rooms && produced < count; r++) {
    const id = randomUUID();
    const members = [...new Set(Array.from({ length: 2 + Math.floor(rand() * 6) }, () => pick(users)))];
    rooms.push({ id, members, formerMembers: [], messages: [], hidden: [] });
    yield emit({
      type: 'RoomCreated',
      data: {
        roomId: id,
        name: `Room ${r}`,
        roomType: pick(['group', 'task', 'property'] as const),
        taskId: rand() < 0.3 ? `task-${r}` : null,
        propertyId: rand() < 0.3 ? `property-${r % 50}` : null,
        createdBy: members[0]!,
        participants: members.map((userId, i) => ({ userId, username: `name-${userId}`, isAdmin: i === 0 })),
        settings: r % 3 === 0 ? { historyVisibility: 'joined' } : {},
      },
    });
  }

  while (produced < count) {
    const room = pick(rooms);
    const roll = rand();
    const member = pick(room.members);
    const message = room.messages.length > 0 ? pick(room.messages.slice(-50)) : undefined;
    if (roll < 0.9 || !message) {
      const messageId = randomUUID();
      room.messages.push(messageId);
      const attachment =
        options.attachmentEvery && produced % options.attachmentEvery === 0
          ? {
              id: randomUUID(),
              fileName: `photo-${produced}.jpg`,
              contentType: 'image/jpeg',
              sizeBytes: 120_000,
            }
          : null;
      yield emit({
        type: 'MessageSent',
        data: {
          messageId,
          roomId: room.id,
          senderId: member,
          senderUsername: `name-${member}`,
          messageType: attachment ? 'file' : 'text',
          ...(attachment ? { attachment } : {}),
          content: `message ${produced} in ${room.id.slice(0, 8)}: ${'lorem ipsum '.repeat(1 + Math.floor(rand() * 6))}`,
          replyTo: rand() < 0.1 ? (message ?? null) : null,
        },
      });
    } else if (roll < 0.925) {
      yield emit({
        type: 'MessageEdited',
        data: { messageId: message, roomId: room.id, content: `edited ${produced}`, editedBy: member },
      });
    } else if (roll < 0.955) {
      yield emit(
        rand() < 0.5
          ? { type: 'MessagesRead', data: { roomId: room.id, userId: member, upToMessageId: message } }
          : { type: 'RoomMarkedRead', data: { roomId: room.id, userId: member } },
      );
    } else if (roll < 0.975) {
      yield emit({
        type: rand() < 0.8 ? 'ReactionAdded' : 'ReactionRemoved',
        data: { messageId: message, roomId: room.id, userId: member, emoji: pick(['👍', '🎉', '❤️']) },
      });
    } else if (roll < 0.99) {
      const outsider = pick(users);
      if (!room.members.includes(outsider)) {
        room.members.push(outsider);
        room.formerMembers = room.formerMembers.filter((u) => u !== outsider);
        yield emit({
          type: 'ParticipantAdded',
          data: {
            roomId: room.id,
            userId: outsider,
            username: `name-${outsider}`,
            isAdmin: false,
            addedBy: room.members[0]!,
          },
        });
      } else if (room.members.length > 2 && member !== room.members[0]) {
        room.members = room.members.filter((u) => u !== member);
        room.formerMembers.push(member);
        yield emit(
          rand() < 0.5
            ? { type: 'ParticipantLeft', data: { roomId: room.id, userId: member } }
            : {
                type: 'ParticipantRemoved',
                data: { roomId: room.id, userId: member, removedBy: room.members[0]! },
              },
        );
      } else {
        yield emit({
          type: 'ParticipantMuted',
          data: { roomId: room.id, userId: member, until: null, mutedBy: room.members[0]! },
        });
      }
    } else if (roll < 0.994) {
      room.messages = room.messages.filter((id) => id !== message);
      yield emit({
        type: 'MessageDeleted',
        data: { messageId: message, roomId: room.id, deletedBy: member },
      });
    } else if (roll < 0.997) {
      const reporter = member;
      const id = reportId(message, reporter);
      yield emit({
        type: 'MessageReported',
        data: { reportId: id, messageId: message, roomId: room.id, reporterId: reporter, reason: 'spam' },
      });
      if (produced < count) {
        room.hidden.push(message);
        room.messages = room.messages.filter((m) => m !== message);
        yield emit({
          type: 'MessageHidden',
          data: { messageId: message, roomId: room.id, hiddenBy: 'moderator', reason: 'spam' },
        });
      }
      if (produced < count)
        yield emit({
          type: 'ReportResolved',
          data: { reportId: id, resolvedBy: 'moderator', action: 'hidden' },
        });
    } else if (roll < 0.998 && room.hidden.length > 0) {
      const restored = room.hidden.shift()!;
      room.messages.push(restored);
      yield emit({
        type: 'MessageRestored',
        data: { messageId: restored, roomId: room.id, restoredBy: 'moderator' },
      });
    } else {
      yield emit({
        type: 'RoomUpdated',
        data: {
          roomId: room.id,
          name: `Renamed ${produced}`,
          ...(produced % 4 === 0
            ? { settings: { historyVisibility: produced % 8 === 0 ? 'shared' : 'joined' } }
            : {}),
          updatedBy: room.members[0]!,
        },
      });
    }
  }
}
