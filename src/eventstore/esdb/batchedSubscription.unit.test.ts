import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchSubscription } from './batchedSubscription.ts';

// A long linger: batches must be handed out because they are full or the source ended, never because a
// timer fired, so these tests do not depend on timing.
const LONG_LINGER_MS = 60_000;

function setup(options: { batchSize: number; lingerMs?: number; keep?: (n: number) => boolean }) {
  const source = new PassThrough({ objectMode: true });
  let stops = 0;
  const subscription = batchSubscription(source, {
    batchSize: options.batchSize,
    lingerMs: options.lingerMs ?? LONG_LINGER_MS,
    map: (n: number) => ((options.keep?.(n) ?? true) ? n * 10 : undefined),
    stop: async () => {
      stops += 1;
    },
  });
  return { source, subscription, stops: () => stops };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('batchSubscription', () => {
  it('hands out what is buffered in batches of at most batchSize, in order, and ends with the source', async () => {
    const { source, subscription } = setup({ batchSize: 2 });
    for (const n of [1, 2, 3, 4, 5]) source.write(n);
    source.end();
    expect(await collect(subscription)).toEqual([[10, 20], [30, 40], [50]]);
  });

  it('drops what map rejects and never yields an empty batch', async () => {
    const { source, subscription } = setup({ batchSize: 2, keep: (n) => n % 3 === 0 });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) source.write(n);
    source.end();
    expect(await collect(subscription)).toEqual([[30, 60]]);
  });

  it('hands a batch out as soon as it is full, without waiting for the linger', async () => {
    const { source, subscription } = setup({ batchSize: 2 });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    source.write(1);
    setImmediate(() => source.write(2));
    expect(await first).toEqual({ done: false, value: [10, 20] });
    await subscription.close();
  });

  it('close() ends a consumer waiting for live events and stops the server-side subscription once', async () => {
    const { source, subscription, stops } = setup({ batchSize: 10, lingerMs: 0 });
    const seen: number[][] = [];
    const consuming = (async () => {
      for await (const batch of subscription) {
        seen.push(batch);
        await subscription.close();
      }
    })();
    source.write(1);
    await consuming;
    await subscription.close();
    expect(seen).toEqual([[10]]);
    expect(stops()).toBe(1);
    expect(source.destroyed).toBe(true);
  });

  it('breaking out of the loop stops the subscription', async () => {
    const { source, subscription, stops } = setup({ batchSize: 1 });
    source.write(1);
    source.write(2);
    for await (const _batch of subscription) break;
    expect(stops()).toBe(1);
  });

  it('delivers the events received before a source error, then throws it', async () => {
    const { source, subscription } = setup({ batchSize: 10 });
    source.write(1);
    source.write(2);
    setImmediate(() => source.destroy(new Error('subscription dropped')));
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const batch of subscription) seen.push(batch);
      })(),
    ).rejects.toThrow('subscription dropped');
    expect(seen).toEqual([[10, 20]]);
  });

  it('pauses a source that runs ahead of a slow consumer, and resumes it once the consumer catches up', async () => {
    const { source, subscription } = setup({ batchSize: 2 });
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) source.write(n);
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    const iterator = subscription[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual([10, 20]);
    expect(source.isPaused()).toBe(false);
    source.end();
    const rest: number[][] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    expect(rest.flat()).toEqual([30, 40, 50, 60, 70, 80]);
  });
});
