// UnarchiveRoom: the room takes messages again. Room admins and moderators.
import { decideUnarchiveRoom, type UnarchiveRoom } from '../domain/roomCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function unarchiveRoom(ctx: CommandContext, input: UnarchiveRoom): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideUnarchiveRoom(input, room, context));
}
