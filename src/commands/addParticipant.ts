// AddParticipant: a room admin (or moderator) adds a user; adding a current participant changes nothing.
import { type AddParticipant, decideAddParticipant } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function addParticipant(ctx: CommandContext, input: AddParticipant): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideAddParticipant(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
