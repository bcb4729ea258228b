// application/problem+json (RFC 9457) with a stable `code` clients can switch on, and `field` naming the
// offending input when there is one.
import { z } from 'zod';

export const ProblemSchema = z
  .object({
    type: z.string().describe('about:blank, or a URL documenting the problem'),
    title: z.string().describe('short, human-readable summary of the status'),
    status: z.number().int(),
    code: z
      .string()
      .describe('stable machine-readable code, e.g. not_found, validation_failed, token_expired'),
    detail: z.string().optional(),
    field: z.string().optional().describe('the offending input, e.g. body.content or query.limit'),
    errors: z
      .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
      .optional()
      .describe('every validation problem, when there are several'),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;

/** Thrown by routes for answers that are not domain errors (missing resource, bad cursor, ...). */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, detail: string, field?: string) {
    super(detail);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The one answer for "no such thing, or not yours to see": never tells the two apart. */
export function notFound(what: string): HttpProblem {
  return new HttpProblem(404, 'not_found', `${what} not found`);
}

/** Error responses every authenticated route may give, for the OpenAPI document. */
export const commonProblemResponses = {
  400: ProblemSchema.describe('Invalid input (code validation_failed or unknown_field, with field)'),
  401: ProblemSchema.describe('Missing or invalid access token (code token_*)'),
  404: ProblemSchema.describe('No such resource, or the caller is not a participant of its room'),
  503: ProblemSchema.describe(
    'PostgreSQL, Redis or the event store is away (code unavailable, with Retry-After): nothing was done',
  ),
};
