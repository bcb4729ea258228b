// The states a command reads besides the stream it writes: a message's room, a direct pair's block lists.
// Plain reads (the write is guarded by its own stream's expected revision), or, given handleCommand's
// conditioned load, cached states the append is conditioned on.
import type { Actor } from '../domain/actor.ts';
import { blocksAggregate, type PairBlocks } from '../domain/blocks.ts';
import type { UserId } from '../domain/events.ts';
import type { MessageState } from '../domain/message.ts';
import { type RoomState, roomAggregate } from '../domain/room.ts';
import { blocksStream, roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { type ConditionedLoad, loadAggregate } from './handleCommand.ts';

export async function loadRoom(ctx: CommandContext, roomId: string): Promise<RoomState> {
  return (await loadAggregate(ctx, roomAggregate, roomStream(roomId))).state;
}

/** The room a message was sent in (null when there is no message: the decision reports not_found). */
export async function loadRoomOf(ctx: CommandContext, message: MessageState): Promise<RoomState> {
  return message ? loadRoom(ctx, message.roomId) : null;
}

export async function loadPairBlocks(
  ctx: CommandContext,
  actor: Actor,
  otherId: UserId,
  load: ConditionedLoad = async (aggregate, stream) => (await loadAggregate(ctx, aggregate, stream)).state,
): Promise<PairBlocks> {
  const [ofActor, ofOther] = await Promise.all([
    load(blocksAggregate, blocksStream(actor.userId)),
    load(blocksAggregate, blocksStream(otherId)),
  ]);
  return { actor: ofActor, other: { userId: otherId, blocks: ofOther } };
}
