// A read model that holds decrypted personal text must blank it when a SubjectErased comes by
// (docs/privacy.md): the rows written before it in the same batch must be in the database first, so a
// projection handles a batch as runs of ordinary events with each erasure on its own between them.
import type { RecordedEvent } from '../eventstore/eventStore.ts';

export const SUBJECT_ERASED = 'SubjectErased';

export type BatchPart = { events: RecordedEvent[]; erasure?: undefined } | { erasure: RecordedEvent };

/** the batch as runs of ordinary events with each SubjectErased on its own between them */
export function splitAtErasures(events: readonly RecordedEvent[]): BatchPart[] {
  const parts: BatchPart[] = [];
  let run: RecordedEvent[] = [];
  for (const event of events) {
    if (event.type !== SUBJECT_ERASED) {
      run.push(event);
      continue;
    }
    if (run.length > 0) parts.push({ events: run });
    parts.push({ erasure: event });
    run = [];
  }
  if (run.length > 0 || parts.length === 0) parts.push({ events: run });
  return parts;
}
