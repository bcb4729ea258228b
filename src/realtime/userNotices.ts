// Notices to one user (room_added, room_removed) for that user's user sockets, whatever rooms they
// subscribed to: one Redis channel per user, subscribed on the fan-out's subscriber connection while this
// node holds a user socket of that user. Notices are hints with no seq (docs/realtime.md): a socket that
// was not connected re-lists its rooms over REST.
import type { Redis } from 'ioredis';
import { decodeWire, userChannel, type WireMessage } from './feedWire.ts';

export type NoticeSink = (message: WireMessage) => void;

export type UserNotices = {
  /** `sink` gets the user's notices from when `ready` resolves until `stop` */
  listen(userId: string, sink: NoticeSink): { ready: Promise<unknown>; stop(): void };
};

export function createUserNotices(options: {
  /** the fan-out's subscriber connection (subscriber mode) */
  subscriber: Redis;
  prefix: string;
}): UserNotices {
  const { subscriber, prefix } = options;
  const channelPrefix = userChannel(prefix, '');
  const listeners = new Map<string, { sinks: Set<NoticeSink>; subscribed: Promise<unknown> }>();

  subscriber.on('message', (channel: string, text: string) => {
    if (!channel.startsWith(channelPrefix)) return;
    const listening = listeners.get(channel.slice(channelPrefix.length));
    const message = listening && decodeWire(text);
    if (!listening || !message) return;
    for (const sink of listening.sinks) sink(message);
  });

  return {
    listen(userId, sink) {
      let listening = listeners.get(userId);
      if (!listening) {
        listening = { sinks: new Set(), subscribed: subscriber.subscribe(userChannel(prefix, userId)) };
        listeners.set(userId, listening);
      }
      const own = listening;
      own.sinks.add(sink);
      return {
        ready: own.subscribed,
        stop() {
          own.sinks.delete(sink);
          if (own.sinks.size > 0 || listeners.get(userId) !== own) return;
          listeners.delete(userId);
          subscriber.unsubscribe(userChannel(prefix, userId)).catch(() => {});
        },
      };
    },
  };
}
