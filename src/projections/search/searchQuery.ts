// The search query language: free text for PostgreSQL's websearch_to_tsquery (words, "phrases",
// -exclusions, OR) with operators taken out of it first. Pure: the route parses, queries.ts turns the
// result into SQL with every value as a parameter.
//   from:USER       sent by that user (id or username, any case)
//   in:ROOM         in that room (id or name, any case; quote names with spaces: in:"Unit 4B")
//   has:attachment  with an attachment
//   before:DATE     sent before DATE (a day, YYYY-MM-DD, UTC: before it began; or an ISO time)
//   after:DATE      sent after DATE (a day: after it ended; or an ISO time)
//   is:edited       edited at least once
// Several from: (or in:) match any of them; different operators must all hold. A word with a colon that
// is no operator (`re:`, `10:30`) stays text.

export type SearchQuery = {
  /** what is left for the text search, or null when the query is operators only */
  text: string | null;
  from: string[];
  in: string[];
  hasAttachment: boolean;
  isEdited: boolean;
  /** sent strictly before / after these instants */
  before: Date | null;
  after: Date | null;
};

export class SearchQueryError extends Error {
  override readonly name = 'SearchQueryError';
}

export const MAX_QUERY_LENGTH = 256;
const MAX_OPERATOR_VALUES = 20;
const DAY_MS = 86_400_000;

/** an operator at the start of a word: its name and its value, quoted or up to the next space */
const OPERATOR = /(?<=^|\s)(from|in|has|before|after|is):(?:"([^"]*)"|(\S+))/giu;
const DAY = /^\d{4}-\d\d-\d\d$/;
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)$/;

export function parseSearchQuery(input: string): SearchQuery {
  const query: SearchQuery = {
    text: null,
    from: [],
    in: [],
    hasAttachment: false,
    isEdited: false,
    before: null,
    after: null,
  };
  const text = input.replace(OPERATOR, (_, name: string, quoted?: string, bare?: string) => {
    const value = (quoted ?? bare ?? '').trim();
    applyOperator(query, name.toLowerCase(), value);
    return ' ';
  });
  if (query.from.length + query.in.length > MAX_OPERATOR_VALUES) {
    throw new SearchQueryError(`at most ${MAX_OPERATOR_VALUES} from: and in: values`);
  }
  const rest = text.replace(/\s+/gu, ' ').trim();
  query.text = rest === '' ? null : rest;
  return query;
}

function applyOperator(query: SearchQuery, name: string, value: string): void {
  if (value === '') throw new SearchQueryError(`${name}: needs a value`);
  switch (name) {
    case 'from':
      query.from.push(value);
      return;
    case 'in':
      query.in.push(value);
      return;
    case 'has':
      if (value.toLowerCase() !== 'attachment')
        throw new SearchQueryError(`has:${value}: only has:attachment`);
      query.hasAttachment = true;
      return;
    case 'is':
      if (value.toLowerCase() !== 'edited') throw new SearchQueryError(`is:${value}: only is:edited`);
      query.isEdited = true;
      return;
    case 'before':
      query.before = earliest(query.before, instant(name, value, 0));
      return;
    case 'after':
      query.after = latest(query.after, instant(name, value, DAY_MS));
      return;
  }
}

/** A day stands for its start (`before:`) or its end (`after:`, one day later); an ISO time for itself. */
function instant(name: string, value: string, dayOffsetMs: number): Date {
  const at = DAY.test(value)
    ? new Date(Date.parse(`${value}T00:00:00Z`) + dayOffsetMs)
    : INSTANT.test(value)
      ? new Date(value)
      : null;
  if (!at || Number.isNaN(at.getTime()) || (DAY.test(value) && !isRealDay(value))) {
    throw new SearchQueryError(`${name}:${value}: a day (YYYY-MM-DD) or an ISO time is expected`);
  }
  return at;
}

/** 2026-02-30 parses (as March 2nd): refuse days that do not exist */
const isRealDay = (value: string) => new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
const earliest = (a: Date | null, b: Date) => (a && a < b ? a : b);
const latest = (a: Date | null, b: Date) => (a && a > b ? a : b);
