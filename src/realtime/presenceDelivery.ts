// Presence on this node: its sockets report to the presence store (src/presence/presenceStore.ts), and the
// changes every node publishes on the one presence channel are delivered here to the local sockets of
// people who share a room with the user, and to nobody else: a room socket when the user is in its room,
// a user socket when the user shares any room with its user. One audience query per change per node,
// whatever the number of rooms; changes are delivered in the order they came.
import type { Redis } from 'ioredis';
import type { PresenceJson } from '../contract/resources.ts';
import { errorSummary } from '../errors/dependencyErrors.ts';
import { isInvisible, setInvisible } from '../presence/presenceSettings.ts';
import {
  createPresenceStore,
  decodePresenceChange,
  type PresenceChange,
  type PresenceStore,
  presenceChannel,
} from '../presence/presenceStore.ts';
import { presenceJson, presenceOf } from '../presence/presenceView.ts';
import { roommatesIn, roomsAndRoommates } from '../projections/chat/queries/sharedRooms.ts';
import type { Db } from '../projections/projection.ts';

/** A socket that shows presence: of its room's participants (room socket), or of all its user's roommates. */
export type PresenceListener = { userId: string; roomId: string | null; send(frame: PresenceJson): void };

export type RealtimePresence = {
  readonly store: PresenceStore;
  /** the presence of a room's other participants, for a room socket's greeting */
  ofRoom(roomId: string, userId: string): Promise<PresenceJson[]>;
  /** the user's invisible setting: kept, and every node decides again who sees what */
  setInvisible(userId: string, invisible: boolean): Promise<void>;
  listen(listener: PresenceListener): () => void;
  stop(graceful: boolean): Promise<void>;
};

export function createRealtimePresence(options: {
  db: Db;
  redis: Redis;
  /** the fan-out's subscriber connection (subscriber mode) */
  subscriber: Redis;
  prefix: string;
  heartbeatMs: number;
  logger: { warn(object: object, message: string): void };
}): RealtimePresence {
  const { db, subscriber, prefix, logger } = options;
  const store = createPresenceStore({
    redis: options.redis,
    prefix,
    heartbeatMs: options.heartbeatMs,
    onError: (error) => logger.warn({ cause: errorSummary(error) }, 'presence: Redis unavailable'),
  });
  const listeners = new Set<PresenceListener>();
  const channel = presenceChannel(prefix);
  let delivered: Promise<void> = Promise.resolve();

  async function deliver(change: PresenceChange) {
    const audience = [...listeners].filter((listener) => listener.userId !== change.userId);
    if (audience.length === 0) return;
    const candidates = [...new Set(audience.map((listener) => listener.userId))];
    const [{ rooms, roommates }, invisible] = await Promise.all([
      roomsAndRoommates(db, change.userId, candidates),
      isInvisible(db, change.userId),
    ]);
    const frame = presenceJson(change.userId, change, invisible);
    for (const listener of audience) {
      const sees = listener.roomId === null ? roommates.has(listener.userId) : rooms.has(listener.roomId);
      // a listener may have stopped while the audience was read
      if (sees && listeners.has(listener)) listener.send(frame);
    }
  }

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const change = decodePresenceChange(text);
    if (!change) return;
    delivered = delivered
      .then(() => deliver(change))
      .catch((error) => logger.warn({ cause: errorSummary(error) }, 'presence: a change was not delivered'));
  });
  // not awaited: a node starts while Redis is away too (ioredis subscribes once it connects, and again
  // after every reconnect)
  subscriber.subscribe(channel).catch((error) => {
    logger.warn({ cause: errorSummary(error) }, 'presence: not subscribed');
  });

  return {
    store,
    async ofRoom(roomId, userId) {
      const others = await roommatesIn(db, roomId, userId);
      const presence = await presenceOf(db, store, others);
      return others.map((id) => presence.get(id)!);
    },
    async setInvisible(userId, invisible) {
      await setInvisible(db, userId, invisible);
      await store.announce(userId);
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop(graceful) {
      await store.stop(graceful);
      await subscriber.unsubscribe(channel).catch(() => {});
    },
  };
}
