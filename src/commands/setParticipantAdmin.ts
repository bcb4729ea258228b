// SetParticipantAdmin: make a participant admin, or not (a room keeps at least one admin).
import { decideSetParticipantAdmin, type SetParticipantAdmin } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function setParticipantAdmin(
  ctx: CommandContext,
  input: SetParticipantAdmin,
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideSetParticipantAdmin(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
