// MuteRoomNotifications: a participant silences (or unsilences) the room's notifications for themself.
import { decideMuteRoomNotifications, type MuteRoomNotifications } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function muteRoomNotifications(
  ctx: CommandContext,
  input: MuteRoomNotifications,
): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) =>
    decideMuteRoomNotifications(input, room, context),
  );
}
