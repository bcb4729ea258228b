// The other shape: a decision on a message's stream, made against the message's own room (never a room
// the caller names).
import type { WhoAndWhen } from '../domain/actor.ts';
import type { MessageEvent } from '../domain/events.ts';
import { type MessageState, messageAggregate } from '../domain/message.ts';
import type { RoomState } from '../domain/room.ts';
import { messageStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';
import { loadRoomOf } from './loaders.ts';

export type MessageCommandResult = CommandSummary & { messageId: string; roomId: string };

export async function handleMessageCommand(
  ctx: CommandContext,
  messageId: string,
  decide: (
    message: MessageState,
    context: WhoAndWhen,
    room: RoomState,
  ) => MessageEvent[] | Promise<MessageEvent[]>,
): Promise<MessageCommandResult> {
  const outcome = await handleCommand(
    ctx,
    messageAggregate,
    messageStream(messageId),
    async (message, context) => decide(message, context, await loadRoomOf(ctx, message)),
  );
  return { messageId, roomId: outcome.state!.roomId, ...summaryOf(outcome) };
}
