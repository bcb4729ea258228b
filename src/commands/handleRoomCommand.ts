// The shape most commands take: a decision on a room's own stream.
import type { WhoAndWhen } from '../domain/actor.ts';
import type { RoomEvent } from '../domain/events.ts';
import { type RoomState, roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';

export type RoomCommandResult = CommandSummary & { roomId: string };

export async function handleRoomCommand(
  ctx: CommandContext,
  roomId: string,
  decide: (room: RoomState, context: WhoAndWhen) => RoomEvent[],
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(roomId), decide);
  return { roomId, ...summaryOf(outcome) };
}
