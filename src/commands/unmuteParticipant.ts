// UnmuteParticipant: lift a moderation mute before it ends.
import { decideUnmuteParticipant, type UnmuteParticipant } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function unmuteParticipant(ctx: CommandContext, input: UnmuteParticipant): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) =>
    decideUnmuteParticipant(input, room, context),
  );
}
