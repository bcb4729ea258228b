// The realtime layer's ports bound to the real thing: commands on the event store, reads on the read models.
import type { AuthenticatedUser } from '../auth/tokenVerifier.ts';
import type { CommandContext } from '../commands/context.ts';
import { markRead } from '../commands/markRead.ts';
import { markRoomRead } from '../commands/markRoomRead.ts';
import { sendMessage } from '../commands/sendMessage.ts';
import type { SlowModeGate } from '../commands/slowModeGate.ts';
import type { StateCache } from '../commands/stateCache.ts';
import type { Escalation } from '../commands/violationCounter.ts';
import type { EventStore } from '../eventstore/eventStore.ts';
import { historyAccess } from '../projections/chat/queries/historyVisibility.ts';
import { unreadCount } from '../projections/chat/queries/participants.ts';
import { readRoomFeed, readRoomFeedFor, roomFeedHead } from '../projections/chat/queries/roomFeed.ts';
import { roomGreeting } from '../projections/chat/queries/roomGreeting.ts';
import type { Db } from '../projections/projection.ts';
import type { RealtimeCommands, RealtimeReadModel } from './chatSession.ts';
import type { FeedSource } from './roomFanout.ts';

export function bindCommands(
  eventStore: EventStore,
  stateCache: StateCache,
  slowMode: SlowModeGate,
  moderation: NonNullable<CommandContext['moderation']>,
  escalation: Escalation,
): RealtimeCommands {
  const context = (user: AuthenticatedUser): CommandContext => ({
    eventStore,
    actor: { userId: user.userId, ...(user.username ? { username: user.username } : {}), roles: user.roles },
    stateCache,
    slowMode,
    moderation,
    escalation,
  });
  return {
    async sendMessage(user, input) {
      const result = await sendMessage(context(user), input);
      return { messageId: result.messageId, position: result.position, created: result.created };
    },
    async markRead(user, { roomId, messageId }) {
      await markRead(context(user), { roomId, upToMessageId: messageId });
    },
    async markRoomRead(user, { roomId }) {
      await markRoomRead(context(user), { roomId });
    },
  };
}

export function bindReadModel(db: Db): RealtimeReadModel {
  return {
    membership: (roomId, userId) => historyAccess(db, roomId, userId),
    greeting: (roomId, userId) => roomGreeting(db, roomId, userId),
    async unreadCount(roomId, userId) {
      return (await unreadCount(db, roomId, userId)) ?? 0;
    },
  };
}

export function bindFeedSource(db: Db): FeedSource {
  return {
    readFeed: (roomId, afterSeq, limit) => readRoomFeed(db, roomId, afterSeq, limit),
    readFeedFor: (roomId, userId, afterSeq, limit) => readRoomFeedFor(db, roomId, userId, afterSeq, limit),
    headSeq: (roomId) => roomFeedHead(db, roomId),
  };
}
