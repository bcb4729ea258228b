// Typing indicators are ephemeral: never events, never in the feed. A typing frame goes to the room's
// channel (seq 0) for the sockets connected now, and into a per-room sorted set scored by expiry so a socket
// that connects later learns who is typing; an indicator nobody renews disappears on its own.
import type { Redis } from 'ioredis';
import { encodeWire, roomChannel } from './feedWire.ts';

/** a client that keeps typing sends typing:true again within this time */
export const TYPING_TTL_MS = 6_000;

const typingKey = (prefix: string, roomId: string) => `${prefix}rt:typing:${roomId}`;

export type Typist = { userId: string; username?: string };

export async function publishTyping(
  redis: Redis,
  prefix: string,
  roomId: string,
  user: Typist,
  isTyping: boolean,
  nowMs = Date.now(),
): Promise<void> {
  const frame = {
    type: 'typing',
    room_id: roomId,
    user_id: user.userId,
    username: user.username ?? null,
    is_typing: isTyping,
  };
  const key = typingKey(prefix, roomId);
  const pipeline = redis.pipeline();
  if (isTyping)
    pipeline.zadd(key, nowMs + TYPING_TTL_MS, JSON.stringify([user.userId, user.username ?? null]));
  else pipeline.zrem(key, JSON.stringify([user.userId, user.username ?? null]));
  pipeline.zremrangebyscore(key, '-inf', nowMs);
  pipeline.pexpire(key, TYPING_TTL_MS);
  pipeline.publish(
    roomChannel(prefix, roomId),
    encodeWire({
      seq: 0,
      type: 'typing',
      subject: user.userId,
      revokes: false,
      frameText: JSON.stringify(frame),
    }),
  );
  // a pipeline resolves with each command's error instead of failing: a Redis that is away must say so
  const failed = (await pipeline.exec())?.find(([error]) => error);
  if (failed) throw failed[0];
}

/** Who is typing in the room now (indicators not yet expired). */
export async function currentTypists(redis: Redis, prefix: string, roomId: string, nowMs = Date.now()) {
  const members = await redis.zrangebyscore(typingKey(prefix, roomId), nowMs, '+inf');
  return members.map((member) => {
    const [userId, username] = JSON.parse(member) as [string, string | null];
    return { user_id: userId, username };
  });
}
