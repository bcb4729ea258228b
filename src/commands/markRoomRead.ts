// MarkRoomRead: a participant has read everything in the room as of now.
import { decideMarkRoomRead, type MarkRoomRead, readMarkerAggregate } from '../domain/readMarker.ts';
import { readMarkerStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type ReadCommandResult, summaryOf } from './handleCommand.ts';
import { loadRoom } from './loaders.ts';

export async function markRoomRead(ctx: CommandContext, input: MarkRoomRead): Promise<ReadCommandResult> {
  const room = await loadRoom(ctx, input.roomId);
  const { userId } = ctx.actor;
  const outcome = await handleCommand(
    ctx,
    readMarkerAggregate,
    readMarkerStream(input.roomId, userId),
    (marker, context) => decideMarkRoomRead(input, marker, context, room),
  );
  return { roomId: input.roomId, userId, ...summaryOf(outcome) };
}
