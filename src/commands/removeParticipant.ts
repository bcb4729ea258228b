// RemoveParticipant: a room admin (or moderator) removes a user, who then can no longer read or write.
// Two admins removing the same participant at once: one ParticipantRemoved, both succeed.
import { decideRemoveParticipant, type RemoveParticipant } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function removeParticipant(ctx: CommandContext, input: RemoveParticipant): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) =>
    decideRemoveParticipant(input, room, context),
  );
}
