// MarkRead: a participant has read the room up to and including a message (a read receipt).
import { messageAggregate } from '../domain/message.ts';
import { decideMarkRead, type MarkRead, readMarkerAggregate } from '../domain/readMarker.ts';
import { messageStream, readMarkerStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, loadAggregate, type ReadCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoom } from './loaders.ts';

export async function markRead(ctx: CommandContext, input: MarkRead): Promise<ReadCommandResult> {
  const [room, message] = await Promise.all([
    loadRoom(ctx, input.roomId),
    loadAggregate(ctx, messageAggregate, messageStream(input.upToMessageId)),
  ]);
  const { userId } = ctx.actor;
  const outcome = await handleCommand(
    ctx,
    readMarkerAggregate,
    readMarkerStream(input.roomId, userId),
    (marker, context) => decideMarkRead(input, marker, context, { room, message: message.state }),
  );
  return { roomId: input.roomId, userId, ...summaryOf(outcome) };
}
