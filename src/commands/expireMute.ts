// ExpireMute: the end of a timed mute, run by the service when the time comes (src/jobs/muteExpiry.ts).
import { decideExpireMute, type ExpireMute } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function expireMute(ctx: CommandContext, input: ExpireMute): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideExpireMute(input, room, context));
}
