// Search: GET /search/?q= over every room the caller is or was in, and the same query within one room
// (GET /rooms/{room_id}/messages/?q=, messages.ts). What a caller may find is the search read model's rule
// (src/projections/search/queries.ts): their membership windows, current versions only. The query
// language: src/projections/search/searchQuery.ts, docs/api.md "Search".
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MessageJsonSchema } from '../contract/resources.ts';
import { SafeText } from '../domain/text.ts';
import { CHAT_PROJECTION } from '../projections/chat/chatProjection.ts';
import { searchMessages } from '../projections/search/queries.ts';
import { SEARCH_PROJECTION } from '../projections/search/searchProjection.ts';
import { MAX_QUERY_LENGTH, parseSearchQuery, SearchQueryError } from '../projections/search/searchQuery.ts';
import { waitForPosition } from '../projections/waitForPosition.ts';
import { HttpProblem } from './problems.ts';
import { READ_WAIT_TIMEOUT_MS } from './readYourWrites.ts';
import { WaitForQuery } from './schemas.ts';

export const MAX_SEARCH_PAGE = 50;
export const SearchSortSchema = z.enum(['newest', 'relevance']);

/** The query parameters of a search, in both routes. */
export const SearchParameters = {
  q: SafeText.trim()
    .min(1)
    .max(MAX_QUERY_LENGTH)
    .describe('words, "phrases", -exclusions, OR, and from: in: has:attachment before: after: is:edited'),
  sort: SearchSortSchema.default('newest'),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).default(20),
  cursor: SafeText.max(300).optional().describe('next_cursor of the previous page, same q and sort'),
};

const SearchQueryParams = z.strictObject({ ...SearchParameters, ...WaitForQuery });

export const SearchPageSchema = z
  .object({
    results: z.array(
      z.object({
        message: MessageJsonSchema,
        snippet: z
          .string()
          .describe('the text around the matches; each match between U+E000 and U+E001 (no markup)'),
        rank: z.number().nullable().describe('how well it matches, higher is better; null without text'),
      }),
    ),
    next_cursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end'),
  })
  .meta({ id: 'SearchPage' });

export type SearchRequest = {
  q: string;
  sort: 'newest' | 'relevance';
  limit: number;
  cursor?: string;
  wait_for?: string;
};

/** Runs a search for `userId` (in one room when `roomId` is given), as both routes answer it. */
export async function answerSearch(
  fastify: FastifyInstance,
  userId: string,
  request: SearchRequest,
  roomId?: string,
): Promise<z.infer<typeof SearchPageSchema>> {
  let query: ReturnType<typeof parseSearchQuery>;
  try {
    query = parseSearchQuery(request.q);
  } catch (error) {
    if (error instanceof SearchQueryError)
      throw new HttpProblem(400, 'invalid_query', error.message, 'query.q');
    throw error;
  }
  // a search reads both models: the text from search, the windows and the current version from chat
  if (request.wait_for) {
    for (const projection of [SEARCH_PROJECTION, CHAT_PROJECTION]) {
      await waitForPosition(fastify.pg, request.wait_for, READ_WAIT_TIMEOUT_MS, projection);
    }
  }
  const page = await searchMessages(fastify.pg, userId, {
    query,
    sort: request.sort,
    limit: request.limit,
    cursor: request.cursor,
    roomId,
  });
  return { results: page.results, next_cursor: page.nextCursor };
}

export const searchRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/search/',
    {
      schema: {
        tags: ['messages'],
        operationId: 'searchMessages',
        summary: 'Search the messages of your rooms',
        description:
          'Every room you are or were in, within your membership windows (a room you left: up to your leave), as the room’s history visibility lets you read it; current versions only (never edited-away, deleted or hidden text). Newest first, or `sort=relevance`. The query language is in docs/api.md, "Search"; a bad operator is 400 invalid_query.',
        querystring: SearchQueryParams,
        response: { 200: SearchPageSchema },
        problems: ['invalid_query'],
      },
    },
    (request) => answerSearch(fastify, request.user.userId, request.query),
  );
};
