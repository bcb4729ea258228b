// AddParticipant: a room admin (or moderator) adds a user; adding a current participant changes nothing.
import { type AddParticipant, decideAddParticipant } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function addParticipant(ctx: CommandContext, input: AddParticipant): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideAddParticipant(input, room, context));
}
