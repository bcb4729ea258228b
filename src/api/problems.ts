// application/problem+json (RFC 9457) with a stable `code` clients can switch on, and `field` naming the
// offending input when there is one.
import { z } from 'zod';
import type { ProblemCode, ProblemStatus } from '../errors/errorTable.ts';

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
    rule: z
      .object({ id: z.string(), name: z.string() })
      .optional()
      .describe('message_bounced: the moderation rule that refused the text'),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;

/**
 * Thrown by routes for answers that are not domain errors (missing resource, bad cursor, ...). The code is
 * one of the error table's and the status its own (the compiler checks the pair).
 */
export class HttpProblem<C extends ProblemCode = ProblemCode> extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly code: C;
  readonly field: string | undefined;
  constructor(status: NoInfer<ProblemStatus<C>>, code: C, detail: string, field?: string) {
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
