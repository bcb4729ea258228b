// Paged reads of the global order for auditors: a page of the events that match, and where to go on.
// A read scans at most `budget` events, so a filter that matches little (one actor in a busy store)
// answers a short page, or none, with a cursor rather than reading the whole store in one request.
import type { EventFilter, EventStore, Position, RecordedEvent } from '../eventstore/eventStore.ts';

export type ScanOptions = {
  /** exclusive: events strictly after this position; omitted: from the beginning */
  after?: Position;
  /** what the store filters (indexed: a room's events) */
  filter?: EventFilter;
  /** what the caller filters, for what the store cannot */
  matches?: (event: RecordedEvent) => boolean;
  /** most events answered */
  limit: number;
  /** most events read */
  budget: number;
};

export type ScannedPage = {
  events: RecordedEvent[];
  /** pass as `after` for the next page; null once the store's end was reached */
  next: Position | null;
};

const READ_PAGE = 1_000;

export async function scanEvents(store: EventStore, options: ScanOptions): Promise<ScannedPage> {
  const events: RecordedEvent[] = [];
  let after = options.after;
  let scanned = 0;
  while (scanned < options.budget) {
    const want = Math.min(READ_PAGE, options.budget - scanned);
    const page = await store.readAll({
      ...(after ? { fromPosition: after } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
      limit: want,
    });
    for (const event of page) {
      scanned++;
      after = event.position;
      if (options.matches && !options.matches(event)) continue;
      events.push(event);
      if (events.length === options.limit) return { events, next: after };
    }
    if (page.length < want) return { events, next: null };
  }
  return { events, next: after ?? null };
}

/** Every event of the store that passes the filter, in order, a page at a time (for folds and exports). */
export async function* readEvents(store: EventStore, filter?: EventFilter): AsyncGenerator<RecordedEvent[]> {
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll({
      ...(after ? { fromPosition: after } : {}),
      ...(filter ? { filter } : {}),
      limit: READ_PAGE,
    });
    if (page.length > 0) yield page;
    if (page.length < READ_PAGE) return;
    after = page.at(-1)!.position;
  }
}
