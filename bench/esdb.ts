// `npm run bench -- esdb [--seconds N] [--events N]`: the EventStoreDB adapter.
// Always: the adapter's own client-side cost per subscribed event (mapping, client-side filter, batching),
// fed from memory, so it can be set against what a server delivers. With EVENTSTORE_URL set, also against
// that server: appends/s at batch sizes 1/10/100 with 1 and 8 writers, catch-up subscription events/s, and a
// client-side roomId scan of $all in events/s.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type { AllStreamResolvedEvent } from '@kurrent/kurrentdb-client';
import { batchSubscription } from '../src/eventstore/esdb/batchedSubscription.ts';
import { createEsdbEventStore } from '../src/eventstore/esdb/esdbEventStore.ts';
import { fromEsdbEvent, matchesFilter } from '../src/eventstore/esdb/esdbMapping.ts';
import type { EventStore } from '../src/eventstore/eventStore.ts';
import { chatEvent } from './_chatEvent.ts';

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en');

/** Events/s through what the adapter does to each subscribed event, with no server involved. */
async function clientSideCost(events: number): Promise<void> {
  const roomId = randomUUID();
  const resolved: AllStreamResolvedEvent[] = Array.from({ length: 10_000 }, (_, n) => {
    const event = chatEvent(n % 10 === 0 ? roomId : randomUUID());
    return {
      event: {
        streamId: `message-${event.id}`,
        id: event.id,
        isJson: true,
        revision: 0n,
        type: event.type,
        created: new Date(),
        data: event.data as Record<string, unknown>,
        metadata: event.metadata,
        position: { commit: BigInt(n), prepare: BigInt(n) },
      },
    };
  });
  for (const filter of [undefined, { roomId }]) {
    const source = new PassThrough({ objectMode: true, highWaterMark: 1_000 });
    const subscription = batchSubscription(source, {
      batchSize: 1_000,
      lingerMs: 5,
      map: ({ event }: AllStreamResolvedEvent) => {
        const recorded = event && fromEsdbEvent(event);
        return recorded && matchesFilter(recorded, filter) ? recorded : undefined;
      },
      stop: async () => {},
    });
    const started = performance.now();
    const feeding = (async () => {
      for (let n = 0; n < events; n++) {
        if (!source.write(resolved[n % resolved.length])) await new Promise((r) => source.once('drain', r));
      }
      source.end();
    })();
    let received = 0;
    for await (const batch of subscription) received += batch.length;
    await feeding;
    const ms = performance.now() - started;
    console.log(
      `client side, ${filter ? 'roomId filter (1 in 10 kept)' : 'no filter'}: ${rate(events, ms)} events/s in, ${received.toLocaleString('en')} handed out`,
    );
  }
}

async function appendRates(store: EventStore, seconds: number): Promise<void> {
  for (const writers of [1, 8]) {
    for (const batch of [1, 10, 100]) {
      let appended = 0;
      const deadline = performance.now() + seconds * 1000;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async () => {
          const stream = `bench-${randomUUID()}`;
          let revision: bigint | 'no_stream' = 'no_stream';
          while (performance.now() < deadline) {
            const events = Array.from({ length: batch }, () => chatEvent('bench-room'));
            revision = (await store.appendToStream(stream, events, { expectedRevision: revision }))
              .nextExpectedRevision;
            appended += batch;
          }
        }),
      );
      console.log(
        `append, ${writers} writer(s), batch ${batch}: ${rate(appended, performance.now() - started)} events/s`,
      );
    }
  }
}

async function readRates(store: EventStore, events: number): Promise<void> {
  const prefix = `bench-read-${randomUUID()}-`;
  const roomId = randomUUID();
  const start = await store.headPosition();
  for (let written = 0; written < events; written += 100) {
    const batch = Array.from({ length: 100 }, (_, n) => chatEvent(n % 10 === 0 ? roomId : 'other-room'));
    await store.appendToStream(`${prefix}${written / 100}`, batch, { expectedRevision: 'no_stream' });
  }
  const from = start ? { fromPosition: start } : {};

  let started = performance.now();
  let received = 0;
  const subscription = store.subscribeToAll({ ...from, filter: { streamPrefixes: [prefix] } });
  for await (const batch of subscription) {
    received += batch.length;
    if (received >= events) break;
  }
  console.log(
    `catch-up subscription, stream prefix filter: ${rate(received, performance.now() - started)} events/s`,
  );

  started = performance.now();
  const inRoom = await store.readAll({ ...from, filter: { roomId } });
  console.log(
    `readAll roomId filter (client-side, scans ${events.toLocaleString('en')}+ events): ${rate(events, performance.now() - started)} events scanned/s, ${inRoom.length} kept`,
  );
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '5' }, events: { type: 'string', default: '100000' } },
  });
  const seconds = Number(values.seconds);
  const events = Number(values.events);
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
  );

  await clientSideCost(events * 10);

  const url = process.env.EVENTSTORE_URL;
  if (!url) {
    console.log('server part skipped: set EVENTSTORE_URL (e.g. kurrentdb://localhost:2113?tls=false)');
    return;
  }
  const store = createEsdbEventStore({ connectionString: url });
  try {
    await appendRates(store, seconds);
    await readRates(store, events);
  } finally {
    await store.close();
  }
}
