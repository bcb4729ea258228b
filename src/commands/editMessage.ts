// EditMessage: the sender changes the text; the earlier versions stay in the stream as the edit history.
// The new text is judged by the moderation policy like a send (moderateMessage.ts): an edit a `bounce` or
// `block` rule matches is refused (and recorded), one a `flag` rule matches goes through and is reported.
import { decideEditMessage, type EditMessage } from '../domain/messageCommands.ts';
import { type JudgedRule, MessageBouncedError } from '../domain/moderationOutcomes.ts';
import type { CommandContext } from './context.ts';
import { handleMessageCommand, type MessageCommandResult } from './handleMessageCommand.ts';
import { flag, judge, recordingBounces } from './moderateMessage.ts';

export async function editMessage(ctx: CommandContext, input: EditMessage): Promise<MessageCommandResult> {
  let flagged: JudgedRule | undefined;
  const editing = handleMessageCommand(ctx, input.messageId, (message, context, room) => {
    const events = decideEditMessage(input, message, context, room);
    const edited = events.find((event) => event.type === 'MessageEdited');
    const verdict = edited && room ? judge(ctx, edited.data.content, room.roomType) : undefined;
    if (edited && (verdict?.outcome === 'bounce' || verdict?.outcome === 'block')) {
      const { messageId, roomId, content } = edited.data;
      throw new MessageBouncedError(verdict, { messageId, roomId, content: content ?? '', edit: true });
    }
    flagged = verdict?.outcome === 'flag' ? verdict : undefined;
    return events;
  });
  const result = await recordingBounces(ctx, editing);
  if (flagged && result.changed) await flag(ctx, flagged, result);
  return result;
}
