// Violations of the moderation policy per user and room (src/commands/violationCounter.ts) on Redis,
// shared by every node: a sorted set of violation ids by time, trimmed to the window on each record and
// expiring with it. While Redis is unreachable nothing is counted: no automatic mute then, every
// violation is still refused or hidden as its rule says.
import type { Redis } from 'ioredis';
import type { ViolationCounter } from '../commands/violationCounter.ts';

const RECORD = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCARD', KEYS[1])`;

export function createViolationCounter(redis: Redis, prefix: string): ViolationCounter {
  return {
    async record({ roomId, userId, id }, windowMs) {
      if (redis.status !== 'ready') return 0;
      const key = `${prefix}violations:${roomId}:${userId}`;
      try {
        return (await redis.eval(RECORD, 1, key, String(Date.now()), id, String(windowMs))) as number;
      } catch {
        return 0;
      }
    },
  };
}
