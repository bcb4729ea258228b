// Search over the messages a user may find (historyVisibility.ts, searchableRanges): the rooms they are
// or were in, within their membership windows as the room's history visibility says, only what the chat
// model shows now. A search row is shown only while the chat model's message is the same version
// (same edit_count, neither deleted nor hidden): the two projections commit apart, and for the moment one
// is ahead of the other, an edited-away, deleted or hidden text is never found.
import { validate as isUuid } from 'uuid';
import type { MessageJson } from '../../contract/resources.ts';
import { searchableRanges } from '../chat/queries/historyVisibility.ts';
import { MESSAGE_COLUMNS, type MessageSelectRow, toMessageJson } from '../chat/queries/messages.ts';
import type { Db } from '../projection.ts';
import type { SearchQuery } from './searchQuery.ts';

export type SearchSort = 'newest' | 'relevance';

/**
 * Snippets mark each match between these two characters (Unicode private use, U+E000 and U+E001). They are
 * taken out of the text first, so every marker in a snippet is the server's; a client that shows text as
 * it is needs only to split on them.
 */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_END = '\uE001';

const HEADLINE_OPTIONS = `StartSel="${HIGHLIGHT_START}", StopSel="${HIGHLIGHT_END}", MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;
/** a snippet for a query of operators only: the text's start */
const PLAIN_SNIPPET_CHARACTERS = 200;

export type SearchHitJson = {
  message: MessageJson;
  /** the text around the matches, each between HIGHLIGHT_START and HIGHLIGHT_END */
  snippet: string;
  /** ts_rank of the match (higher: better); null for a query of operators only */
  rank: number | null;
};

export type SearchOptions = {
  query: SearchQuery;
  sort: SearchSort;
  limit: number;
  /** nextCursor of the previous page (of the same query and sort) */
  cursor?: string;
  /** only this room */
  roomId?: string;
};

/**
 * The text as a query, read two ways (migrations/1003_search_text.sql): English, stemmed; and every word as
 * written with prefix matching ("mainten" finds "maintenance"), which also finds names, numbers and words
 * of other languages the English reading would stem or drop. A message matches either reading.
 * websearch_to_tsquery writes lexemes quoted: a `:*` after each closing quote makes each a prefix.
 * Written out where it is used (no CTE row): every part is immutable, so PostgreSQL folds it into a
 * constant when it plans the query with its parameters and estimates how many rows the words match from
 * the column's statistics; a tsquery read from a CTE is an unknown to it, and a frequent word looked as
 * rare as any (bench/search.ts, --explain).
 */
const TEXT_QUERY_SQL = `(websearch_to_tsquery('public.chat_english', $2) ||
  regexp_replace(websearch_to_tsquery('public.chat_simple', $2)::text, '''(?=\\s|\\)|$)', ''':*', 'g')::tsquery)`;

/** One page of what `userId` finds, and the cursor of the next one (null at the end). */
export async function searchMessages(
  db: Db,
  userId: string,
  options: SearchOptions,
): Promise<{ results: SearchHitJson[]; nextCursor: string | null }> {
  const { query } = options;
  const params: unknown[] = [userId, query.text, options.limit + 1];
  const add = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  // each condition on the index's columns (schema.ts) is one the index can take: one tsquery for both
  // readings, the senders as one array (ids as given, and those of the usernames)
  if (query.text !== null) where.push(`s.tsv @@ ${TEXT_QUERY_SQL}`);
  if (query.from.length > 0) {
    where.push(`s.sender_id = ANY(${add(query.from)}::text[] || ARRAY(
      SELECT id FROM chat_read.users WHERE lower(username) = ANY(${add(query.from.map(lower))}::text[])))`);
  }
  if (query.in.length > 0) {
    where.push(`s.room_id IN (SELECT id FROM chat_read.rooms
      WHERE id = ANY(${add(query.in)}::text[]) OR lower(name) = ANY(${add(query.in.map(lower))}::text[]))`);
  }
  if (query.hasAttachment) where.push('s.has_attachment');
  if (query.isEdited) where.push('s.is_edited');
  if (query.before) where.push(`s.created_at < ${add(query.before.toISOString())}::timestamptz`);
  if (query.after) where.push(`s.created_at > ${add(query.after.toISOString())}::timestamptz`);

  const byRank = options.sort === 'relevance' && query.text !== null;
  const rank = query.text === null ? 'NULL::real' : `ts_rank(s.tsv, ${TEXT_QUERY_SQL})`;
  const after = options.cursor ? decodeCursor(options.cursor, byRank) : null;
  if (after) {
    where.push(
      byRank
        ? `(${rank}, s.message_id) < (${add(after[0])}::real, ${add(after[1])})`
        : `(s.created_at, s.message_id) < (${add(after[0])}::timestamptz, ${add(after[1])})`,
    );
  }
  const order = byRank ? 'rank DESC, s.message_id DESC' : 's.created_at DESC, s.message_id DESC';
  const roomRanges = searchableRanges('$1', options.roomId === undefined ? undefined : add(options.roomId));

  const { rows } = await db.query<MessageSelectRow & { rank: number | null; snippet: string }>(
    `WITH ranges AS (${roomRanges}),
     page AS (
       SELECT s.message_id, s.content, ${rank} AS rank, s.created_at
       FROM search_read.indexed_messages s
       JOIN chat_read.messages m ON m.id = s.message_id AND m.edit_count = s.edit_count
         AND NOT m.is_deleted AND NOT m.is_hidden
       WHERE s.room_id = ANY(ARRAY(SELECT room_id FROM ranges))
         AND EXISTS (SELECT 1 FROM ranges r WHERE r.room_id = m.room_id AND m.seq BETWEEN r.from_seq AND r.to_seq)
         ${where.map((condition) => `AND ${condition}`).join('\n         ')}
       ORDER BY ${order} LIMIT $3)
     SELECT ${MESSAGE_COLUMNS}, s.rank,
       CASE WHEN $2::text IS NULL THEN left(translate(s.content, ${add(HIGHLIGHT_START + HIGHLIGHT_END)}, ''), ${PLAIN_SNIPPET_CHARACTERS})
         ELSE ts_headline('public.chat_english', translate(s.content, ${add(HIGHLIGHT_START + HIGHLIGHT_END)}, ''),
           ${TEXT_QUERY_SQL}, ${add(HEADLINE_OPTIONS)}) END AS snippet
     FROM page s
     JOIN chat_read.messages m ON m.id = s.message_id
     LEFT JOIN chat_read.users u ON u.id = m.sender_id
     ORDER BY ${order}`,
    params,
  );
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const nextCursor =
    last && rows.length > options.limit
      ? encodeCursor(byRank ? String(last.rank) : new Date(last.m.created_at).toISOString(), last.m.id)
      : null;
  return {
    results: page.map((row) => ({ message: toMessageJson(row), snippet: row.snippet, rank: row.rank })),
    nextCursor,
  };
}

const lower = (value: string) => value.toLowerCase();

const encodeCursor = (key: string, id: string) =>
  Buffer.from(JSON.stringify([key, id])).toString('base64url');

const CURSOR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** [time or rank, message id]; null (the first page) for anything else, as the room list reads cursors */
function decodeCursor(cursor: string, byRank: boolean): [string, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [key, id] = value as unknown[];
    if (typeof key !== 'string' || typeof id !== 'string' || !isUuid(id)) return null;
    const valid = byRank
      ? Number.isFinite(Number(key)) && key.trim() !== ''
      : CURSOR_TIME.test(key) && !Number.isNaN(Date.parse(key));
    return valid ? [key, id] : null;
  } catch {
    return null;
  }
}
