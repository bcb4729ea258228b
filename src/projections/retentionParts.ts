// What a RetentionApplied selects in a read model, as SQL the projections and the retention run's report
// share (docs/privacy.md, "Retention"): what a user wrote on a day before the cutoff, unless a hold's
// scope in `spared` covers that user and day (the same rule as domain/retention.ts isSpared, in SQL).
import type { RetentionApplied } from '../domain/events.ts';

export const RETENTION_APPLIED = 'RetentionApplied';

/** the UTC day of a timestamptz column or expression, as YYYY-MM-DD text */
export const utcDay = (timestamp: string) => `to_char(${timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/**
 * true when `user` wrote `day` before the cutoff and no spared scope covers it; `cutoff` and `spared` are
 * the SQL parameters holding the event's cutoff and its spared scopes as JSON
 */
export const pastRetention = (user: string, day: string, cutoff: string, spared: string) => `
  ${day} < ${cutoff}
  AND NOT EXISTS (
    SELECT 1 FROM jsonb_to_recordset(${spared}::jsonb) AS h("userId" text, "from" text, "to" text)
    WHERE (h."userId" IS NULL OR h."userId" = ${user})
      AND (h."from" IS NULL OR ${day} >= h."from") AND (h."to" IS NULL OR ${day} <= h."to"))`;

/** the parameters pastRetention's SQL takes after the room id: $2 the cutoff, $3 the spared scopes */
export const retentionParameters = (data: Pick<RetentionApplied['data'], 'roomId' | 'cutoff' | 'spared'>) => [
  data.roomId,
  data.cutoff,
  JSON.stringify(data.spared),
];
