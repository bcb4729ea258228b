// MuteParticipant: moderation mute; the participant cannot send until `until` (or until unmuted).
import { decideMuteParticipant, type MuteParticipant } from '../domain/participantCommands.ts';
import { roomAggregate } from '../domain/room.ts';
import { roomStream } from '../domain/streams.ts';
import type { CommandContext } from './context.ts';
import { handleCommand, type RoomCommandResult, summaryOf } from './handleCommand.ts';

export async function muteParticipant(
  ctx: CommandContext,
  input: MuteParticipant,
): Promise<RoomCommandResult> {
  const outcome = await handleCommand(ctx, roomAggregate, roomStream(input.roomId), (room, context) =>
    decideMuteParticipant(input, room, context),
  );
  return { roomId: input.roomId, ...summaryOf(outcome) };
}
