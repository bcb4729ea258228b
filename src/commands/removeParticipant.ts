// RemoveParticipant: a room admin (or moderator) removes a user, who then can no longer read or write.
// Two admins removing the same participant at once: one ParticipantRemoved, both succeed.
import { decideRemoveParticipant, type RemoveParticipant } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function removeParticipant(
  ctx: CommandContext,
  input: RemoveParticipant,
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideRemoveParticipant(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
