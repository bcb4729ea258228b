// ArchiveRoom: the room refuses new messages and members until unarchived. Room admins and moderators.

import { roomAggregate } from '../domain/room.ts';
import { type ArchiveRoom, decideArchiveRoom } from '../domain/roomCommands.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function archiveRoom(ctx: CommandContext, input: ArchiveRoom): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideArchiveRoom(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
