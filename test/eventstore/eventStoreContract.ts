// The behaviour every event store adapter owes its callers, run against each adapter (PostgreSQL here,
// EventStoreDB where a server is reachable). Stream names, room ids and event types carry a random suffix
// so the suite also runs against a shared server that holds other data.
//
// $all reads are "eventually visible, never skipped": an adapter may show a committed event a moment later
// (PostgreSQL waits for older transactions to finish), so reads of $all poll until what was written shows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AllSubscription,
  comparePositions,
  type EventFilter,
  EventNotStorable,
  type EventStore,
  type EventToAppend,
  EventTooLarge,
  IdempotencyMismatch,
  type Position,
  type RecordedEvent,
  WrongExpectedVersion,
} from '../../src/eventstore/eventStore.ts';

export type EventStoreUnderTest = { store: EventStore; teardown(): Promise<void> };

const suffix = () => randomUUID().slice(0, 8);

function newEvent(type = 'ContractTested', data: unknown = { n: 0 }, roomId?: string): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1, ...(roomId ? { roomId } : {}) },
  };
}

const numbered = (count: number, type?: string) =>
  Array.from({ length: count }, (_, n) => newEvent(type, { n }));

/** Reads $all after `from` (through `filter`) until `count` events are visible. */
async function readAllUntil(store: EventStore, from: Position | null, filter: EventFilter, count: number) {
  for (;;) {
    const events = await store.readAll({ ...(from ? { fromPosition: from } : {}), filter, limit: count + 1 });
    if (events.length >= count) return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Consumes a subscription until the event with `lastId` arrives; returns everything it handed out. */
async function consumeUntil(subscription: AllSubscription, lastId: string) {
  const seen: RecordedEvent[] = [];
  for await (const batch of subscription) {
    seen.push(...batch);
    if (batch.some((event) => event.id === lastId)) break;
  }
  await subscription.close();
  return seen;
}

function expectStrictlyIncreasing(events: readonly RecordedEvent[]) {
  const outOfOrder = events.findIndex(
    (event, i) => i > 0 && comparePositions(events[i - 1]!.position, event.position) >= 0,
  );
  expect(outOfOrder, 'first event not after its predecessor').toBe(-1);
}

export function describeEventStoreContract(name: string, setup: () => Promise<EventStoreUnderTest>) {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });

    describe('expected revision', () => {
      it('no_stream creates a stream once; a second no_stream append is refused with the actual revision', async () => {
        const stream = `contract-${suffix()}`;
        const first = await store.appendToStream(stream, numbered(2), { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(1n);
        const refused = store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
        await expect(refused).rejects.toBeInstanceOf(WrongExpectedVersion);
        await expect(refused).rejects.toMatchObject({ stream, actual: 1n });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('stream_exists refuses a missing stream and appends to an existing one', async () => {
        const stream = `contract-${suffix()}`;
        const refused = store.appendToStream(stream, numbered(1), { expectedRevision: 'stream_exists' });
        await expect(refused).rejects.toMatchObject({ name: 'WrongExpectedVersion', actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
        await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
        const next = await store.appendToStream(stream, numbered(1), { expectedRevision: 'stream_exists' });
        expect(next.nextExpectedRevision).toBe(1n);
      });

      it('an exact revision appends only when it is the stream head', async () => {
        const stream = `contract-${suffix()}`;
        const missing = store.appendToStream(stream, numbered(1), { expectedRevision: 0n });
        await expect(missing).rejects.toMatchObject({ name: 'WrongExpectedVersion', actual: 'no_stream' });
        await store.appendToStream(stream, numbered(3), { expectedRevision: 'no_stream' });
        const stale = store.appendToStream(stream, numbered(1), { expectedRevision: 1n });
        await expect(stale).rejects.toMatchObject({ name: 'WrongExpectedVersion', expected: 1n, actual: 2n });
        const ok = await store.appendToStream(stream, numbered(2), { expectedRevision: 2n });
        expect(ok.nextExpectedRevision).toBe(4n);
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      });

      it('any appends to a missing and to an existing stream', async () => {
        const stream = `contract-${suffix()}`;
        expect(
          (await store.appendToStream(stream, numbered(1), { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(0n);
        expect(
          (await store.appendToStream(stream, numbered(1), { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(1n);
      });

      it('of concurrent appends with the same expected revision exactly one wins', async () => {
        const stream = `contract-${suffix()}`;
        await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            store.appendToStream(stream, numbered(1), { expectedRevision: 0n }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const r of lost) expect(r.reason).toMatchObject({ name: 'WrongExpectedVersion', actual: 1n });
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('conditions on other streams', () => {
      it('appends when every condition stream is at its revision (or missing, for no_stream)', async () => {
        const [stream, room, absent] = [
          `contract-${suffix()}`,
          `contract-${suffix()}`,
          `contract-${suffix()}`,
        ];
        await store.appendToStream(room, numbered(2), { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(stream, numbered(1), {
          expectedRevision: 'no_stream',
          conditions: [
            { stream: room, revision: 1n },
            { stream: absent, revision: 'no_stream' },
          ],
        });
        expect(result.nextExpectedRevision).toBe(0n);
        expect(await store.readStream(stream)).toHaveLength(1);
        expect(await store.readStream(room)).toHaveLength(2);
      });

      it('refuses a stale condition with WrongExpectedVersion naming that stream and its actual revision', async () => {
        const [stream, room] = [`contract-${suffix()}`, `contract-${suffix()}`];
        await store.appendToStream(room, numbered(3), { expectedRevision: 'no_stream' });
        const refused = store.appendToStream(stream, numbered(1), {
          expectedRevision: 'no_stream',
          conditions: [{ stream: room, revision: 1n }],
        });
        await expect(refused).rejects.toBeInstanceOf(WrongExpectedVersion);
        await expect(refused).rejects.toMatchObject({ stream: room, expected: 1n, actual: 2n });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('no_stream as a condition refuses a stream that exists; a missing one at a revision reads no_stream', async () => {
        const [stream, room, absent] = [
          `contract-${suffix()}`,
          `contract-${suffix()}`,
          `contract-${suffix()}`,
        ];
        await store.appendToStream(room, numbered(1), { expectedRevision: 'no_stream' });
        const exists = store.appendToStream(stream, numbered(1), {
          expectedRevision: 'any',
          conditions: [{ stream: room, revision: 'no_stream' }],
        });
        await expect(exists).rejects.toMatchObject({
          name: 'WrongExpectedVersion',
          stream: room,
          actual: 0n,
        });
        const missing = store.appendToStream(stream, numbered(1), {
          expectedRevision: 'any',
          conditions: [{ stream: absent, revision: 0n }],
        });
        await expect(missing).rejects.toMatchObject({ stream: absent, actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('many concurrent appends conditioned on one stream all succeed while it stays put', async () => {
        const room = `contract-${suffix()}`;
        await store.appendToStream(room, numbered(1), { expectedRevision: 'no_stream' });
        const streams = Array.from({ length: 16 }, () => `contract-${suffix()}`);
        await Promise.all(
          streams.map((stream) =>
            store.appendToStream(stream, numbered(1), {
              expectedRevision: 'no_stream',
              conditions: [{ stream: room, revision: 0n }],
            }),
          ),
        );
        for (const stream of streams) expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('the stream of its own expected revision is still checked beside the conditions', async () => {
        const [stream, room] = [`contract-${suffix()}`, `contract-${suffix()}`];
        await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
        await store.appendToStream(room, numbered(1), { expectedRevision: 'no_stream' });
        const refused = store.appendToStream(stream, numbered(1), {
          expectedRevision: 'no_stream',
          conditions: [{ stream: room, revision: 0n }],
        });
        await expect(refused).rejects.toMatchObject({ stream, actual: 0n });
      });
    });

    describe('idempotent appends', () => {
      it('re-appending the same batch returns the original result whatever the expected revision', async () => {
        const stream = `contract-${suffix()}`;
        const batch = numbered(3);
        const original = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
        expect(original.alreadyStored).toBe(false);
        await store.appendToStream(stream, numbered(1), { expectedRevision: 2n });
        for (const expectedRevision of ['no_stream', 'any', 'stream_exists', 0n, 7n] as const) {
          const retry = await store.appendToStream(stream, batch, { expectedRevision });
          expect(retry).toEqual({ ...original, alreadyStored: true });
        }
        expect((await store.readStream(stream)).map((e) => e.id)).toHaveLength(4);
      });

      it('refuses a batch that only partly repeats events already in the stream', async () => {
        const stream = `contract-${suffix()}`;
        const [a, b] = numbered(2);
        await store.appendToStream(stream, [a!], { expectedRevision: 'no_stream' });
        const partial = store.appendToStream(stream, [a!, b!], { expectedRevision: 'any' });
        await expect(partial).rejects.toBeInstanceOf(IdempotencyMismatch);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual([a!.id]);
      });

      it('racing identical appends store the events once: one says it stored them, all report the same result', async () => {
        for (const expectedRevision of ['no_stream', 'any'] as const) {
          const stream = `contract-${suffix()}`;
          const batch = numbered(2);
          const results = await Promise.all(
            Array.from({ length: 8 }, () => store.appendToStream(stream, batch, { expectedRevision })),
          );
          expect(results.filter((result) => !result.alreadyStored)).toHaveLength(1);
          for (const result of results) {
            expect(result.nextExpectedRevision).toBe(results[0]!.nextExpectedRevision);
            expect(result.position).toEqual(results[0]!.position);
          }
          expect((await store.readStream(stream)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
        }
      });
    });

    describe('reading a stream', () => {
      const stream = `contract-long-${suffix()}`;
      const total = 10_000;
      beforeAll(async () => {
        for (let revision = -1n; revision < BigInt(total) - 1n; revision += 500n) {
          await store.appendToStream(
            stream,
            Array.from({ length: 500 }, (_, n) => newEvent('Numbered', { n: Number(revision) + 1 + n })),
            { expectedRevision: revision < 0n ? 'no_stream' : revision },
          );
        }
      });

      it('pages forwards through 10,000 events in revision order', async () => {
        const read: RecordedEvent[] = [];
        for (let from = 0n; ; ) {
          const page = await store.readStream(stream, { from, limit: 1_000 });
          read.push(...page);
          if (page.length < 1_000) break;
          from = page.at(-1)!.revision + 1n;
        }
        expect(read).toHaveLength(total);
        expect(
          read.every((event, i) => event.revision === BigInt(i) && (event.data as { n: number }).n === i),
        ).toBe(true);
        expect(read.every((event) => event.stream === stream && event.type === 'Numbered')).toBe(true);
      });

      it('pages backwards from the end', async () => {
        const read: RecordedEvent[] = [];
        let page = await store.readStream(stream, { direction: 'backwards', limit: 1_000 });
        while (page.length > 0) {
          read.push(...page);
          if (page.at(-1)!.revision === 0n) break;
          page = await store.readStream(stream, {
            direction: 'backwards',
            from: page.at(-1)!.revision - 1n,
            limit: 1_000,
          });
        }
        expect(read).toHaveLength(total);
        expect(read.every((event, i) => event.revision === BigInt(total - 1 - i))).toBe(true);
      });

      it('reads from a revision, with a limit, in either direction', async () => {
        const forwards = await store.readStream(stream, { from: 4_200n, limit: 3 });
        expect(forwards.map((e) => e.revision)).toEqual([4_200n, 4_201n, 4_202n]);
        const backwards = await store.readStream(stream, { from: 4_200n, direction: 'backwards', limit: 3 });
        expect(backwards.map((e) => e.revision)).toEqual([4_200n, 4_199n, 4_198n]);
        expect(await store.readStream(`contract-missing-${suffix()}`)).toEqual([]);
      });
    });

    describe('reading $all', () => {
      const prefix = `contract-all-${suffix()}-`;
      const roomId = randomUUID();
      const rareType = `RarelyUsed${suffix()}`;
      const written: EventToAppend[] = [];
      let start: Position | null;
      beforeAll(async () => {
        start = await store.headPosition();
        for (let i = 0; i < 12; i++) {
          const events = [
            newEvent(i % 4 === 0 ? rareType : 'Common', { i }, i % 3 === 0 ? roomId : randomUUID()),
          ];
          await store.appendToStream(`${prefix}${i % 5}`, events, { expectedRevision: 'any' });
          written.push(...events);
        }
      });

      it('returns events in the order they were appended, each with its stream, revision and position', async () => {
        const read = await readAllUntil(store, start, { streamPrefixes: [prefix] }, written.length);
        expect(read.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expectStrictlyIncreasing(read);
        expect(read[5]).toMatchObject({ stream: `${prefix}0`, revision: 1n, type: 'Common', data: { i: 5 } });
        expect(read[5]!.recordedAt).toBeInstanceOf(Date);
      });

      it('is exclusive of fromPosition and honours the limit', async () => {
        const read = await readAllUntil(store, start, { streamPrefixes: [prefix] }, written.length);
        const after = await store.readAll({
          fromPosition: read[3]!.position,
          limit: 2,
          filter: { streamPrefixes: [prefix] },
        });
        expect(after.map((e) => e.id)).toEqual([written[4]!.id, written[5]!.id]);
      });

      it('filters by room, by event type and by stream prefix', async () => {
        const inRoom = written.filter((_, i) => i % 3 === 0);
        expect((await readAllUntil(store, start, { roomId }, inRoom.length)).map((e) => e.id)).toEqual(
          inRoom.map((e) => e.id),
        );
        const rare = written.filter((e) => e.type === rareType);
        expect(
          (await readAllUntil(store, start, { eventTypes: [rareType] }, rare.length)).map((e) => e.id),
        ).toEqual(rare.map((e) => e.id));
        const inStream1 = written.filter((_, i) => i % 5 === 1);
        const byPrefix = await readAllUntil(
          store,
          start,
          { streamPrefixes: [`${prefix}1`] },
          inStream1.length,
        );
        expect(byPrefix.map((e) => e.id)).toEqual(inStream1.map((e) => e.id));
        const combined = await readAllUntil(store, start, { roomId, eventTypes: [rareType] }, 1);
        expect(combined.map((e) => e.id)).toEqual(
          written.filter((e, i) => i % 3 === 0 && e.type === rareType).map((e) => e.id),
        );
      });
    });

    it('refuses an oversized event with EventTooLarge and stores nothing of that append', async () => {
      const stream = `contract-${suffix()}`;
      const big = newEvent('Big', { text: 'x'.repeat(2 * 1_048_576) });
      const refused = store.appendToStream(stream, [newEvent(), big], { expectedRevision: 'any' });
      await expect(refused).rejects.toBeInstanceOf(EventTooLarge);
      await expect(refused).rejects.toMatchObject({
        eventId: big.id,
        message: expect.stringMatching(/limit/),
      });
      expect(await store.readStream(stream)).toEqual([]);
    });

    it.each([
      ['the NUL character in its data', { text: 'a\u0000b' }, 'U+0000'],
      ['a lone surrogate in its data', { text: 'broken \ud83d emoji' }, 'U+D83D'],
      ['a lone low surrogate in a key', { '\udc00': 1 }, 'U+DC00'],
      ['a NUL after an escaped backslash', { text: '\\\u0000' }, 'U+0000'],
    ])(
      'refuses an event with %s (EventNotStorable) and stores nothing of that append',
      async (_, data, why) => {
        const stream = `contract-${suffix()}`;
        const bad = newEvent('Unstorable', data);
        const refused = store.appendToStream(stream, [newEvent(), bad], { expectedRevision: 'any' });
        await expect(refused).rejects.toBeInstanceOf(EventNotStorable);
        await expect(refused).rejects.toMatchObject({
          eventId: bad.id,
          reason: expect.stringContaining(why),
        });
        expect(await store.readStream(stream)).toEqual([]);
      },
    );

    it('stores text that only looks like an escape, emoji and other control characters as they are', async () => {
      const stream = `contract-${suffix()}`;
      const data = { text: 'a \\u0000 \\\\ud800 😀 \u0001\t\n עברית 中文', '\\u0000': true };
      await store.appendToStream(stream, [newEvent('Stored', data)], { expectedRevision: 'no_stream' });
      expect((await store.readStream(stream))[0]!.data).toEqual(data);
    });

    describe('subscriptions', () => {
      it('16 concurrent writers x 1,000 events: a live subscriber sees each exactly once, in order', async () => {
        const prefix = `contract-gap-${suffix()}-`;
        const start = await store.headPosition();
        const subscription = store.subscribeToAll({
          ...(start ? { fromPosition: start } : {}),
          filter: { streamPrefixes: [prefix] },
        });
        // appended after every writer is done: once the subscriber has it, it has had its chance at the rest
        const sentinel = newEvent('Sentinel');
        const consumed = consumeUntil(subscription, sentinel.id);
        const writers = Array.from({ length: 16 }, async (_, w) => {
          for (let n = 0; n < 1_000; n++) {
            await store.appendToStream(`${prefix}${w}`, [newEvent('Load', { w, n })], {
              expectedRevision: n === 0 ? 'no_stream' : BigInt(n - 1),
            });
          }
        });
        await Promise.all(writers);
        await store.appendToStream(`${prefix}sentinel`, [sentinel], { expectedRevision: 'no_stream' });
        const seen = (await consumed).filter((e) => e.id !== sentinel.id);

        expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
        expect(seen).toHaveLength(16_000);
        expectStrictlyIncreasing(seen);
        // $all order agrees with every stream's own order
        for (let w = 0; w < 16; w++) {
          const revisions = seen.filter((e) => e.stream === `${prefix}${w}`).map((e) => e.revision);
          expect(revisions).toEqual(Array.from({ length: 1_000 }, (_, n) => BigInt(n)));
        }
      });

      it('a subscriber stopped midway resumes from its checkpoint and sees the rest exactly once', async () => {
        const prefix = `contract-resume-${suffix()}-`;
        const start = await store.headPosition();
        const fromStart = start ? { fromPosition: start } : {};
        const filter = { streamPrefixes: [prefix] };
        const written = numbered(1_000);
        for (let i = 0; i < 20; i++) {
          await store.appendToStream(`${prefix}${i % 4}`, written.slice(i * 50, i * 50 + 50), {
            expectedRevision: 'any',
          });
        }

        const first: RecordedEvent[] = [];
        const stopped = store.subscribeToAll({ ...fromStart, filter, batchSize: 100 });
        for await (const batch of stopped) {
          first.push(...batch);
          if (first.length >= 400) break;
        }
        await stopped.close();
        const checkpoint = first.at(-1)!.position;

        const resumed = store.subscribeToAll({ fromPosition: checkpoint, filter, batchSize: 100 });
        const rest = await consumeUntil(resumed, written.at(-1)!.id);
        const all = [...first, ...rest];
        expect(first.length).toBeLessThan(1_000);
        expect(all).toHaveLength(1_000);
        expect(all.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expectStrictlyIncreasing(all);
      });

      it('close() ends a live subscription that is waiting for events', async () => {
        const stream = `contract-${suffix()}`;
        const start = await store.headPosition();
        const subscription = store.subscribeToAll({
          ...(start ? { fromPosition: start } : {}),
          filter: { streamPrefixes: [stream] },
        });
        const appended = await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
        const received: RecordedEvent[] = [];
        const consumed = (async () => {
          for await (const batch of subscription) received.push(...batch);
        })();
        while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        await subscription.close();
        await consumed; // the for-await loop ended: no more events will arrive
        expect(received.map((e) => e.position)).toEqual([appended.position]);
      });
    });

    it('headPosition is the position of the last visible event', async () => {
      const stream = `contract-${suffix()}`;
      const appended = await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream' });
      let head = await store.headPosition();
      while (!head || comparePositions(head, appended.position) < 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        head = await store.headPosition();
      }
      const [stored] = await store.readStream(stream);
      expect(stored!.position).toEqual(appended.position);
    });
  });
}
