// UpdateRoom: rename a room or change its settings (slow mode, history visibility). Room admins and moderators.
import { decideUpdateRoom, type UpdateRoom } from '../domain/roomCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function updateRoom(ctx: CommandContext, input: UpdateRoom): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideUpdateRoom(input, room, context));
}
