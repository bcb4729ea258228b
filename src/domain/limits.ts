// Limits the domain enforces. One place, so the API can publish them and tests can reach the edges.

/** characters (Unicode code points), as the seed counted them */
export const MAX_MESSAGE_LENGTH = 4_000;
export const MAX_ROOM_NAME_LENGTH = 200;
export const MAX_REPORT_REASON_LENGTH = 1_000;
export const MAX_HIDE_REASON_LENGTH = 1_000;
export const MAX_EMOJI_LENGTH = 32;
export const MAX_SLOW_MODE_SECONDS = 3_600;

export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const ALLOWED_ATTACHMENT_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'text/csv',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'video/mp4',
  'audio/mpeg',
]);

/** Length in code points: an emoji counts as one character, not two UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

// moderation rules (the policy is held in memory on every node and compiled once per version)
export const MAX_MODERATION_RULES = 200;
export const MAX_MODERATION_RULE_NAME_LENGTH = 100;
export const MAX_WORDS_PER_RULE = 5_000;
export const MAX_WILDCARD_WORDS_PER_RULE = 200;
export const MAX_MODERATION_WORD_LENGTH = 64;
/** RE2 is linear in the text; the length (and RE2's own cap on repetition counts) bounds the pattern */
export const MAX_REGEX_LENGTH = 500;
export const MAX_DOMAINS_PER_RULE = 1_000;
