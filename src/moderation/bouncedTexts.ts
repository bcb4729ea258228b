// The text of bounced writes, for the moderators' list of them (GET /api/chat/moderation/bounces/): the
// read model lists the bounces without their text, which is read here from each bounce's stream, sealed
// in the event store like a message's: it reads as null once its sender was erased or retention shredded
// its day (docs/privacy.md), with nothing for a read model to blank.
import type { MessageBounced } from '../domain/events.ts';
import { bounceStream } from '../domain/streams.ts';
import type { EventStore } from '../eventstore/eventStore.ts';

export async function bouncedTexts(
  eventStore: EventStore,
  bounceIds: readonly string[],
): Promise<Map<string, string | null>> {
  const texts = await Promise.all(
    bounceIds.map(async (id) => {
      const [event] = await eventStore.readStream(bounceStream(id), { limit: 1 });
      return [id, (event?.data as MessageBounced['data'] | undefined)?.content ?? null] as const;
    }),
  );
  return new Map(texts);
}
