import { describe, expect, it } from 'vitest';
import type { Position, RecordedEvent } from '../eventStore.ts';
import { createPollingSubscription, type Page } from './pollingSubscription.ts';
import { createWakeSignal } from './wakeSignal.ts';

const at = (prepare: number): Position => ({ commit: 1n, prepare: BigInt(prepare) });
const recorded = (prepare: number) => ({ id: `e${prepare}`, position: at(prepare) }) as RecordedEvent;
const HOUR = 3_600_000; // a poll that never comes within a test: only a wake-up or close() can end a wait

/** A reader over a list that grows as the test appends; remembers where each read started. */
function fakeStore() {
  const events: RecordedEvent[] = [];
  const readsAfter: bigint[] = [];
  return {
    events,
    readsAfter,
    async readPage(after: Position, limit: number): Promise<Page> {
      readsAfter.push(after.prepare);
      const page = events.filter((e) => e.position.prepare > after.prepare).slice(0, limit);
      // a short page may move the cursor past what it returned (the horizon): here, to 1,000 + stored count
      const resumeAfter = page.length === limit ? page.at(-1)!.position : at(1_000 + events.length);
      return { events: page, resumeAfter, scannedTo: page.at(-1)?.position ?? null };
    },
  };
}

describe('polling subscription', () => {
  it('reads no more often than its minimum interval once caught up, however often it is woken', async () => {
    const store = fakeStore();
    const wake = createWakeSignal();
    const subscription = createPollingSubscription({
      from: at(0),
      pageSize: 100,
      pollIntervalMs: HOUR,
      minReadIntervalMs: 200,
      readPage: store.readPage,
      wake,
      onClose() {},
    });
    const iterator = subscription[Symbol.asyncIterator]();
    const started = Date.now();
    const received: string[] = [];
    const consuming = (async () => {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) return;
        received.push(...value.map((e: RecordedEvent) => e.id));
      }
    })();
    // an append every 10 ms for half a second: a subscription read on every wake-up would read 50 times
    for (let i = 1; i <= 50; i++) {
      store.events.push(recorded(1_001 + store.events.length)); // above the horizon a short page gave
      wake.notify();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let waited = 0; received.length < 50 && waited < 2_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(received).toHaveLength(50);
    const elapsed = Date.now() - started;
    expect(store.readsAfter.length).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1);
    await subscription.close();
    await consuming;
  });

  it('pages through what exists, waits, and is woken by an append in this process', async () => {
    const store = fakeStore();
    store.events.push(...[1, 2, 3, 4, 5].map(recorded));
    const wake = createWakeSignal();
    const subscription = createPollingSubscription({
      from: at(0),
      pageSize: 2,
      pollIntervalMs: HOUR,
      readPage: store.readPage,
      wake,
      onClose() {},
    });
    const iterator = subscription[Symbol.asyncIterator]();
    const batches = [
      (await iterator.next()).value,
      (await iterator.next()).value,
      (await iterator.next()).value,
    ];
    expect(batches.map((batch) => batch.map((e: RecordedEvent) => e.id))).toEqual([
      ['e1', 'e2'],
      ['e3', 'e4'],
      ['e5'],
    ]);

    const next = iterator.next(); // now waiting: only a wake-up brings the next read
    store.events.push(recorded(1_010));
    wake.notify();
    expect((await next).value.map((e: RecordedEvent) => e.id)).toEqual(['e1010']);
    // the read after the short page started at its resumeAfter, not at the last event
    expect(store.readsAfter).toEqual([0n, 2n, 4n, 1_005n]);
    await subscription.close();
  });

  it('reads again at once when an append committed while a page was being read', async () => {
    const store = fakeStore();
    const wake = createWakeSignal();
    let reads = 0;
    const subscription = createPollingSubscription({
      from: at(0),
      pageSize: 10,
      pollIntervalMs: HOUR,
      // the first read misses an event that commits (and wakes) while it runs
      async readPage(after, limit) {
        const page = await store.readPage(after, limit);
        if (++reads === 1) {
          store.events.push(recorded(2_000));
          wake.notify();
        }
        return page;
      },
      wake,
      onClose() {},
    });
    const iterator = subscription[Symbol.asyncIterator]();
    // the first page is empty: the next batch can only come from a read after the missed wake-up
    expect((await iterator.next()).value.map((e: RecordedEvent) => e.id)).toEqual(['e2000']);
    await subscription.close();
  });

  it('close() ends a consumer that is waiting for events, and tells its owner', async () => {
    const store = fakeStore();
    let closed = 0;
    const subscription = createPollingSubscription({
      from: at(0),
      pageSize: 10,
      pollIntervalMs: HOUR,
      readPage: store.readPage,
      wake: createWakeSignal(),
      onClose: () => closed++,
    });
    const consumed = (async () => {
      const seen: RecordedEvent[][] = [];
      for await (const batch of subscription) seen.push(batch);
      return seen;
    })();
    while (store.readsAfter.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await subscription.close();
    expect(await consumed).toEqual([]);
    expect(closed).toBe(1);
    await subscription.close();
    expect(closed).toBe(1);
  });
});
