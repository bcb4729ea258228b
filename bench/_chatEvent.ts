// The event the store benchmarks append and read: a MessageSent of a realistic size (about 500 bytes).
import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../src/eventstore/eventStore.ts';

export function chatEvent(roomId: string): EventToAppend {
  return {
    id: randomUUID(),
    type: 'MessageSent',
    data: {
      messageId: randomUUID(),
      roomId,
      senderId: 'user-42',
      content: 'Meeting moved to 3pm, bring the keys'.repeat(3),
    },
    metadata: {
      actorId: 'user-42',
      roomId,
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}
