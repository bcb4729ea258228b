// A catch-up-then-live subscription built on repeated reads of the global order. It reads pages until
// one comes back short (caught up), then waits for a wake-up or the poll interval and reads again.
import type { AllSubscription, Position, RecordedEvent } from '../eventStore.ts';
import type { WakeSignal } from './wakeSignal.ts';

export type Page = {
  events: RecordedEvent[];
  /**
   * Where the next read may start (exclusive). When a page is short it can lie past the last event:
   * every event a later read could return sorts after it, so a filtered subscription does not rescan
   * the events it has already skipped.
   */
  resumeAfter: Position;
};

export type PollingSubscriptionOptions = {
  from: Position;
  pageSize: number;
  pollIntervalMs: number;
  readPage(after: Position, limit: number): Promise<Page>;
  wake: WakeSignal;
  onClose(): void;
};

export function createPollingSubscription(options: PollingSubscriptionOptions): AllSubscription {
  const { pageSize, pollIntervalMs, readPage, wake } = options;
  const stop = new AbortController();

  async function* pages(): AsyncGenerator<RecordedEvent[]> {
    let cursor = options.from;
    while (!stop.signal.aborted) {
      // an append that commits while this page is read may be missing from it: its wake-up must not be
      const before = wake.count();
      const page = await readPage(cursor, pageSize);
      if (stop.signal.aborted) return;
      cursor = page.resumeAfter;
      if (page.events.length > 0) yield page.events;
      if (page.events.length < pageSize) await wake.wait(pollIntervalMs, stop.signal, before);
    }
  }

  const iterator = pages();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      if (stop.signal.aborted) return;
      stop.abort();
      options.onClose();
      // ends a consumer's for-await loop; waits only for a read already in flight
      await iterator.return(undefined);
    },
  };
}
