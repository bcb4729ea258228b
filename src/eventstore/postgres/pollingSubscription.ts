// A catch-up-then-live subscription built on repeated reads of the global order. It reads pages until
// one comes back short (caught up), then waits for a wake-up or the poll interval and reads again.
import { setTimeout as sleep } from 'node:timers/promises';
import { type AllSubscription, comparePositions, type Position, type RecordedEvent } from '../eventStore.ts';
import type { WakeSignal } from './wakeSignal.ts';

export type Page = {
  events: RecordedEvent[];
  /**
   * Where the next read may start (exclusive). When a page is short it can lie past the last event:
   * every event a later read could return sorts after it, so a filtered subscription does not rescan
   * the events it has already skipped.
   */
  resumeAfter: Position;
  /**
   * the last event the read went past, returned or skipped by a filter (null: none known): what the
   * subscription has reached once the page's events are handled
   */
  scannedTo: Position | null;
};

export type PollingSubscriptionOptions = {
  from: Position;
  pageSize: number;
  pollIntervalMs: number;
  /** once caught up, the next read starts no sooner than this after the last one (0: when woken) */
  minReadIntervalMs?: number;
  readPage(after: Position, limit: number): Promise<Page>;
  wake: WakeSignal;
  onClose(): void;
};

export function createPollingSubscription(options: PollingSubscriptionOptions): AllSubscription {
  const { pageSize, pollIntervalMs, readPage, wake } = options;
  const minReadIntervalMs = options.minReadIntervalMs ?? 0;
  const stop = new AbortController();

  let reached: Position | null = null;
  const reach = (position: Position | null) => {
    if (position && (!reached || comparePositions(position, reached) > 0)) reached = position;
  };

  async function* pages(): AsyncGenerator<RecordedEvent[]> {
    let cursor = options.from;
    while (!stop.signal.aborted) {
      // an append that commits while this page is read may be missing from it: its wake-up must not be
      const before = wake.count();
      const readAt = Date.now();
      const page = await readPage(cursor, pageSize);
      if (stop.signal.aborted) return;
      cursor = page.resumeAfter;
      // resumes when the consumer asks for the next batch: it has handled this one
      if (page.events.length > 0) yield page.events;
      reach(page.scannedTo);
      if (page.events.length < pageSize) {
        await wake.wait(pollIntervalMs, stop.signal, before);
        const early = readAt + minReadIntervalMs - Date.now();
        // an abort (close) ends the wait early; the loop then stops
        if (early > 0) await sleep(early, undefined, { signal: stop.signal }).catch(() => {});
      }
    }
  }

  const iterator = pages();
  return {
    [Symbol.asyncIterator]: () => iterator,
    reached: () => reached,
    async close() {
      if (stop.signal.aborted) return;
      stop.abort();
      options.onClose();
      // ends a consumer's for-await loop; waits only for a read already in flight
      await iterator.return(undefined);
    },
  };
}
