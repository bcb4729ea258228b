// UnarchiveRoom: the room takes messages again. Room admins and moderators.

import { roomAggregate } from '../domain/room.ts';
import { decideUnarchiveRoom, type UnarchiveRoom } from '../domain/roomCommands.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function unarchiveRoom(ctx: CommandContext, input: UnarchiveRoom): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideUnarchiveRoom(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
