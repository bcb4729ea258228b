// A read model that holds decrypted personal text must blank what an erasure or a retention run takes
// away (docs/privacy.md): the rows written before such an event in the same batch must be in the database
// first, so a projection handles a batch as runs of ordinary events with each rewrite on its own between
// them.
import type { RecordedEvent } from '../eventstore/eventStore.ts';
import { RETENTION_APPLIED } from './retentionParts.ts';

export const SUBJECT_ERASED = 'SubjectErased';

/** the events that rewrite rows already projected */
export const REWRITING_TYPES: readonly string[] = [SUBJECT_ERASED, RETENTION_APPLIED];

export type BatchPart = { events: RecordedEvent[]; rewrite?: undefined } | { rewrite: RecordedEvent };

/** the batch as runs of ordinary events with each rewriting event on its own between them */
export function splitAtRewrites(events: readonly RecordedEvent[]): BatchPart[] {
  const parts: BatchPart[] = [];
  let run: RecordedEvent[] = [];
  for (const event of events) {
    if (!REWRITING_TYPES.includes(event.type)) {
      run.push(event);
      continue;
    }
    if (run.length > 0) parts.push({ events: run });
    parts.push({ rewrite: event });
    run = [];
  }
  if (run.length > 0 || parts.length === 0) parts.push({ events: run });
  return parts;
}
