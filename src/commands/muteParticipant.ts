// MuteParticipant: moderation mute; the participant cannot send until `until` (or until unmuted).
import { decideMuteParticipant, type MuteParticipant } from '../domain/participantCommands.ts';
import type { CommandContext } from './context.ts';
import { handleRoomCommand, type RoomCommandResult } from './handleRoomCommand.ts';

export function muteParticipant(ctx: CommandContext, input: MuteParticipant): Promise<RoomCommandResult> {
  return handleRoomCommand(ctx, input.roomId, (room, context) => decideMuteParticipant(input, room, context));
}
