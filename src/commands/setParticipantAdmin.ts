// SetParticipantAdmin: make a participant admin, or not (a room keeps at least one admin).
import { decideSetParticipantAdmin, type SetParticipantAdmin } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function setParticipantAdmin(
  ctx: CommandContext,
  input: SetParticipantAdmin,
): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) =>
    decideSetParticipantAdmin(input, room, context),
  );
}
