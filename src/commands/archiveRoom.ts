// ArchiveRoom: the room refuses new messages and members until unarchived. Room admins and moderators.
import { type ArchiveRoom, decideArchiveRoom } from '../domain/roomCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function archiveRoom(ctx: CommandContext, input: ArchiveRoom): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideArchiveRoom(input, room, context));
}
