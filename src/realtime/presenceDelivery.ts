// Presence on this node: its sockets report to the presence store (src/presence/presenceStore.ts), and the
// changes every node publishes on the one presence channel are delivered here to the local sockets of
// people who share a room with the user, and to nobody else: a room socket when the user is in its room,
// a user socket when the user shares any room with its user. One audience query per node for the changes
// of an event-loop turn, whatever the number of rooms or sockets; changes are delivered in the order they
// came.
import type { Redis } from 'ioredis';
import type { PresenceJson } from '../contract/resources.ts';
import { errorSummary } from '../errors/dependencyErrors.ts';
import { invisibleAmong, setInvisible } from '../presence/presenceSettings.ts';
import {
  createPresenceStore,
  decodePresenceChange,
  type PresenceChange,
  type PresenceStore,
  presenceChannel,
} from '../presence/presenceStore.ts';
import { presenceJson, presenceOf } from '../presence/presenceView.ts';
import { roomsAndRoommatesOf } from '../projections/chat/queries/sharedRooms.ts';
import type { Db } from '../projections/projection.ts';

/** A socket that shows presence: of its room's participants (room socket), or of all its user's roommates. */
export type PresenceListener = { userId: string; roomId: string | null; send(frame: PresenceJson): void };

export type RealtimePresence = {
  readonly store: PresenceStore;
  /**
   * the presence of these users now, in their order (the caller has checked that they may see them);
   * `invisible`: which of them are invisible, when the caller read it already
   */
  ofUsers(userIds: readonly string[], invisible?: ReadonlySet<string>): Promise<PresenceJson[]>;
  /** the user's invisible setting: kept, and every node decides again who sees what */
  setInvisible(userId: string, invisible: boolean): Promise<void>;
  listen(listener: PresenceListener): void;
  /** the listener hears no more changes (one object per socket: no closure to hold for this) */
  unlisten(listener: PresenceListener): void;
  stop(graceful: boolean): Promise<void>;
};

export function createRealtimePresence(options: {
  db: Db;
  redis: Redis;
  /** the fan-out's subscriber connection (subscriber mode) */
  subscriber: Redis;
  prefix: string;
  heartbeatMs: number;
  idleMs: number;
  logger: { warn(object: object, message: string): void };
}): RealtimePresence {
  const { db, subscriber, prefix, logger } = options;
  const store = createPresenceStore({
    redis: options.redis,
    prefix,
    heartbeatMs: options.heartbeatMs,
    idleMs: options.idleMs,
    onError: (error) => logger.warn({ cause: errorSummary(error) }, 'presence: Redis unavailable'),
  });
  const listeners = new Set<PresenceListener>();
  // by room (room sockets) and by user (user sockets): a change reaches its audience through its user's
  // rooms and roommates, never by a walk over every socket of the node
  const byRoom = new Map<string, Set<PresenceListener>>();
  const byUser = new Map<string, Set<PresenceListener>>();
  const channel = presenceChannel(prefix);
  let delivered: Promise<void> = Promise.resolve();

  const indexOf = (listener: PresenceListener) =>
    listener.roomId === null ? { map: byUser, key: listener.userId } : { map: byRoom, key: listener.roomId };

  type Audience = { rooms: Set<string>; roommates: Set<string>; invisible: boolean };

  /** who may see each change (its user's rooms, and which users with user sockets here share one) */
  async function audiencesOf(changes: readonly PresenceChange[]): Promise<Map<string, Audience>> {
    if (listeners.size === 0) return new Map();
    const users = [...new Set(changes.map((change) => change.userId))];
    // a few user sockets: ask about those; many: every roommate (bounded by the users' rooms)
    const candidates = byUser.size <= 1_000 ? [...byUser.keys()] : null;
    const [shared, invisible] = await Promise.all([
      roomsAndRoommatesOf(db, users, candidates),
      invisibleAmong(db, users),
    ]);
    return new Map(users.map((id) => [id, { ...shared.get(id)!, invisible: invisible.has(id) }]));
  }

  function send(change: PresenceChange, audience: Audience | undefined) {
    if (!audience) return;
    const frame = presenceJson(change.userId, change, audience.invisible);
    const reached = (set: Set<PresenceListener> | undefined) => {
      // a listener may have stopped while the audience was read
      for (const listener of set ?? []) {
        if (listener.userId !== change.userId && listeners.has(listener)) listener.send(frame);
      }
    };
    for (const roomId of audience.rooms) reached(byRoom.get(roomId));
    for (const userId of audience.roommates) reached(byUser.get(userId));
  }

  /** the changes that came in this event-loop turn: their audiences are read together */
  let arriving: PresenceChange[] | null = null;

  function deliverArrived() {
    const changes = arriving!;
    arriving = null;
    const audiences = audiencesOf(changes);
    audiences.catch(() => {}); // reported below, in order
    delivered = delivered
      .then(async () => {
        const found = await audiences;
        for (const change of changes) send(change, found.get(change.userId));
      })
      .catch((error) => logger.warn({ cause: errorSummary(error) }, 'presence: changes were not delivered'));
  }

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const change = decodePresenceChange(text);
    if (!change) return;
    // a reconnect storm brings thousands of changes: one audience query per turn's worth, not per change;
    // the frames go out in the order the changes came
    if (!arriving) {
      arriving = [];
      setImmediate(deliverArrived);
    }
    arriving.push(change);
  });
  // not awaited: a node starts while Redis is away too (ioredis subscribes once it connects, and again
  // after every reconnect)
  subscriber.subscribe(channel).catch((error) => {
    logger.warn({ cause: errorSummary(error) }, 'presence: not subscribed');
  });

  return {
    store,
    async ofUsers(userIds, invisible) {
      const presence = await presenceOf(db, store, userIds, invisible);
      return userIds.map((id) => presence.get(id)!);
    },
    async setInvisible(userId, invisible) {
      await setInvisible(db, userId, invisible);
      await store.announce(userId);
    },
    listen(listener) {
      listeners.add(listener);
      const { map, key } = indexOf(listener);
      const set = map.get(key) ?? new Set();
      set.add(listener);
      map.set(key, set);
    },
    unlisten(listener) {
      if (!listeners.delete(listener)) return;
      const { map, key } = indexOf(listener);
      const set = map.get(key);
      set?.delete(listener);
      if (set?.size === 0) map.delete(key);
    },
    async stop(graceful) {
      await store.stop(graceful);
      await subscriber.unsubscribe(channel).catch(() => {});
    },
  };
}
