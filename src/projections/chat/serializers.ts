// From rows to the JSON shapes clients see (src/contract/resources.ts). Frames, REST answers and the
// WebSocket catch-up all go through these, so a message looks the same wherever it is read.
import type {
  MessageJson,
  ParticipantJson,
  ReactionJson,
  RoomJson,
  RoomSettingsJson,
} from '../../contract/resources.ts';
import type { MessageRow, ParticipantRow, ReactionEntry, RoomRow } from './rows.ts';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** PostgreSQL and JavaScript write ISO times differently; clients always get `toISOString()` form. */
export function isoTime(value: string | Date): string;
export function isoTime(value: string | Date | null): string | null;
export function isoTime(value: string | Date | null): string | null {
  if (value === null) return null;
  // events carry toISOString() form already: skip the Date round trip on the projector's hot path
  if (typeof value === 'string' && ISO_UTC.test(value)) return value;
  return new Date(value).toISOString();
}

export function reactionsJson(reactions: readonly ReactionEntry[]): ReactionJson[] {
  return reactions.map((r) => ({ emoji: r.emoji, count: r.user_ids.length, user_ids: [...r.user_ids] }));
}

export function messageJson(row: MessageRow, senderUsername: string | null): MessageJson {
  return {
    id: row.id,
    room: row.room_id,
    seq: row.seq,
    sender: { id: row.sender_id, username: senderUsername },
    message_type: row.message_type,
    content: row.content,
    reply_to: row.reply_to,
    attachment: row.attachment,
    reactions: reactionsJson(row.reactions),
    is_edited: row.is_edited,
    is_deleted: row.is_deleted,
    is_hidden: row.is_hidden,
    is_erased: row.is_erased,
    created_at: isoTime(row.created_at),
    edited_at: isoTime(row.edited_at),
  };
}

export function participantJson(row: ParticipantRow, username: string | null): ParticipantJson {
  return {
    id: row.id,
    room: row.room_id,
    user: { id: row.user_id, username },
    is_admin: row.is_admin,
    muted: row.muted,
    muted_until: isoTime(row.muted_until),
    notifications_muted: row.notifications_muted,
    joined_at: isoTime(row.joined_at),
    left_at: isoTime(row.left_at),
    last_read_seq: row.last_read_seq,
  };
}

export function roomJson(row: RoomRow, lastMessage: MessageJson | null): RoomJson {
  return {
    id: row.id,
    name: row.name,
    room_type: row.room_type,
    task: row.task_id,
    property: row.property_id,
    created_by: row.created_by,
    created_at: isoTime(row.created_at),
    modified_at: isoTime(row.modified_at),
    is_active: row.is_active,
    archived_at: isoTime(row.archived_at),
    participant_count: row.participant_count,
    last_message: lastMessage,
    settings: settingsJson(row),
    last_seq: row.last_seq,
  };
}

/** A member of a `joined` room reads only what was sent during their membership windows. */
export function historyIsJoined(row: RoomRow): boolean {
  return row.settings.historyVisibility === 'joined';
}

function settingsJson(row: RoomRow): RoomSettingsJson {
  const { slowModeSeconds } = row.settings;
  return {
    ...(slowModeSeconds === undefined ? {} : { slow_mode_seconds: slowModeSeconds }),
    ...(row.room_type === 'direct' ? {} : { history_visibility: historyIsJoined(row) ? 'joined' : 'shared' }),
  };
}
