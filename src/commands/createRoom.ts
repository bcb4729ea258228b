// CreateRoom: a direct room with one other user (unique per pair: asking again returns the existing room),
// or a group, task or property room with the creator as admin.
import { type Room, roomAggregate } from '../domain/room.ts';
import { type CreateRoom, decideCreateRoom } from '../domain/roomCommands.ts';
import { directRoomId, roomStream, timeOrderedId } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type CommandSummary, handleCommand, summaryOf } from './handleCommand.ts';
import { loadPairBlocks } from './loaders.ts';

export type CreateRoomInput = Omit<CreateRoom, 'roomId'>;

export type CreateRoomResult = CommandSummary & {
  roomId: string;
  /** false when the direct room existed already */
  created: boolean;
  room: Room;
};

export async function createRoom(ctx: CommandContext, input: CreateRoomInput): Promise<CreateRoomResult> {
  const direct = input.roomType === 'direct';
  const other = direct && input.participantIds.length === 1 ? input.participantIds[0] : undefined;
  const isPair = other !== undefined && other !== ctx.actor.userId;
  const roomId = isPair ? directRoomId(ctx.actor.userId, other) : timeOrderedId();
  const pairBlocks = isPair ? await loadPairBlocks(ctx, ctx.actor, other) : undefined;
  const outcome = await handleCommand(
    ctx,
    roomAggregate,
    roomStream(roomId),
    (state, context) => decideCreateRoom({ ...input, roomId }, state, context, pairBlocks),
    { assumeNewStream: !direct },
  );
  return { roomId, created: outcome.changed, room: outcome.state!, ...summaryOf(outcome) };
}
