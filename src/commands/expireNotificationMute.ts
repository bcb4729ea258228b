// ExpireNotificationMute: the end of a participant's timed silence of a room's notifications, run by the
// service when the time comes (src/jobs/notificationMuteExpiry.ts).
import { decideExpireNotificationMute, type ExpireNotificationMute } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function expireNotificationMute(
  ctx: CommandContext,
  input: ExpireNotificationMute,
): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) =>
    decideExpireNotificationMute(input, room, context),
  );
}
