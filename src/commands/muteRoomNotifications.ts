// MuteRoomNotifications: a participant silences (or unsilences) the room's notifications for themself.
import { decideMuteRoomNotifications, type MuteRoomNotifications } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function muteRoomNotifications(
  ctx: CommandContext,
  input: MuteRoomNotifications,
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideMuteRoomNotifications(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
