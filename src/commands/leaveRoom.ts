// LeaveRoom: a participant leaves a group, task or property room (the last admin hands over admin first).
import { decideLeaveRoom, type LeaveRoom } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function leaveRoom(ctx: CommandContext, input: LeaveRoom): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideLeaveRoom(input, room, context));
}
