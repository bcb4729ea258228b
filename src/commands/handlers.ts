// The two shapes most commands take: a decision on a room's own stream, and a decision on a message's
// stream made against the message's own room (never a room the caller names).
import type { DecideContext } from '../domain/actor.ts';
import type { MessageEvent, RoomEvent } from '../domain/events.ts';
import { type MessageState, messageAggregate } from '../domain/message.ts';
import { type RoomState, roomAggregate } from '../domain/room.ts';
import { messageStream, roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export type RoomCommandResult = CommandSummary & { roomId: string };
export type MessageCommandResult = CommandSummary & { messageId: string; roomId: string };

export async function handleRoomCommand(
  ctx: CommandContext,
  roomId: string,
  decide: (room: RoomState, context: DecideContext) => RoomEvent[],
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(roomId), decide);
  return { roomId, ...summaryOf(outcome) };
}

export async function handleMessageCommand(
  ctx: CommandContext,
  messageId: string,
  decide: (message: MessageState, context: DecideContext, room: RoomState) => MessageEvent[],
): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(messageId),
    async (message, context) => decide(message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
