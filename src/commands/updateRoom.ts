// UpdateRoom: rename a room or change its settings (slow mode). Room admins and moderators.

import { roomAggregate } from '../domain/room.ts';
import { decideUpdateRoom, type UpdateRoom } from '../domain/roomCommands.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function updateRoom(ctx: CommandContext, input: UpdateRoom): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideUpdateRoom(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
