// UnmuteParticipant: lift a moderation mute before it ends.
import { decideUnmuteParticipant, type UnmuteParticipant } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function unmuteParticipant(
  ctx: CommandContext,
  input: UnmuteParticipant,
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideUnmuteParticipant(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
