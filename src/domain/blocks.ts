// The blocks aggregate (stream blocks-{userId}): the users one user has blocked, and its two commands.
// A block separates the pair both ways in direct rooms: neither can open or write in their direct room.

import type { WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type { BlockEvent, UserBlocked, UserId, UserUnblocked } from './events.ts';

export type BlocksState = { blocked: Readonly<Record<UserId, true>> };

export function evolveBlocks(state: BlocksState, event: BlockEvent): BlocksState {
  switch (event.type) {
    case 'UserBlocked':
      return { blocked: { ...state.blocked, [event.data.blockedUserId]: true } };
    case 'UserUnblocked': {
      const { [event.data.blockedUserId]: _removed, ...rest } = state.blocked;
      return { blocked: rest };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const blocksAggregate: Aggregate<BlocksState, BlockEvent> = {
  name: 'blocks',
  initialState: () => ({ blocked: {} }),
  evolve: evolveBlocks,
};

export const hasBlocked = (blocks: BlocksState, userId: UserId) => blocks.blocked[userId] === true;

/** The block lists of both users of a direct room. */
export type PairBlocks = {
  actor: BlocksState;
  other: { userId: UserId; blocks: BlocksState };
};

export function requireNotBlocked(actorId: UserId, pair: PairBlocks): void {
  if (hasBlocked(pair.actor, pair.other.userId)) {
    throw new DomainError('user_blocked', 'You have blocked this user; unblock them first');
  }
  if (hasBlocked(pair.other.blocks, actorId)) {
    throw new DomainError('user_blocked', 'This user does not accept your messages');
  }
}

// ── commands ─────────────────────────────────────────────────────────────────────────────────────────

export type BlockUser = { userId: UserId };
export type UnblockUser = { userId: UserId };

export function decideBlockUser(
  command: BlockUser,
  state: BlocksState,
  { actor }: WhoAndWhen,
): UserBlocked[] {
  if (command.userId === actor.userId)
    throw new DomainError('cannot_block_self', 'You cannot block yourself');
  if (hasBlocked(state, command.userId)) return [];
  return [{ type: 'UserBlocked', data: { userId: actor.userId, blockedUserId: command.userId } }];
}

export function decideUnblockUser(
  command: UnblockUser,
  state: BlocksState,
  { actor }: WhoAndWhen,
): UserUnblocked[] {
  if (!hasBlocked(state, command.userId)) return [];
  return [{ type: 'UserUnblocked', data: { userId: actor.userId, blockedUserId: command.userId } }];
}
