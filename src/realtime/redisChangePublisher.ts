// The projector's ChangePublisher: one pipelined round trip to Redis per committed batch. Redis pub/sub is
// at-most-once; a lost publish is repaired by the nodes (seq gap -> refill from room_feed), so a failure
// here is logged, never thrown into the projector.
import type { Redis } from 'ioredis';
import { errorSummary } from '../errors/dependencyErrors.ts';
import type { ChangePublisher, FeedEntry, UserNotice } from '../projections/changeFeed.ts';
import { encodeWire, feedEntryToWire, noticeToWire, roomChannel, userChannel } from './feedWire.ts';

export type PublisherLogger = { warn(object: object, message: string): void };

export function createRedisChangePublisher(
  redis: Redis,
  prefix: string,
  logger?: PublisherLogger,
): ChangePublisher {
  return {
    async publish(entries: readonly FeedEntry[], notices: readonly UserNotice[] = []) {
      if (entries.length === 0 && notices.length === 0) return;
      const pipeline = redis.pipeline();
      for (const entry of entries) {
        pipeline.publish(roomChannel(prefix, entry.roomId), encodeWire(feedEntryToWire(entry)));
      }
      for (const notice of notices) {
        pipeline.publish(userChannel(prefix, notice.userId), encodeWire(noticeToWire(notice)));
      }
      try {
        const results = await pipeline.exec();
        const failed = results?.find(([error]) => error);
        if (failed)
          logger?.warn({ cause: errorSummary(failed[0]) }, 'publishing feed entries to Redis failed');
      } catch (error) {
        logger?.warn({ cause: errorSummary(error) }, 'publishing feed entries to Redis failed');
      }
    },
  };
}
