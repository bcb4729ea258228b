// LeaveRoom: a participant leaves a group, task or property room (the last admin hands over admin first).
import { decideLeaveRoom, type LeaveRoom } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function leaveRoom(ctx: CommandContext, input: LeaveRoom): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideLeaveRoom(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
