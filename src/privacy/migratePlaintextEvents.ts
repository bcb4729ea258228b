// The one-time migration of events written before crypto-shredding (docs/privacy.md, "The one-time
// migration of existing events"): every event of the old store, in global order, appended to the new one
// through the encrypting decorator with the same id, stream, revision, type and metadata. Copy-transform,
// never in place: the old store is only read.
//
// The copy is appended one event run at a time and awaited, so the new store's global order is the old
// one's. That makes a second run cheap and safe: the new store must hold a prefix of the old store's
// events (what an earlier run copied), which it skips; anything else in it was not copied from there, and
// the migration refuses to mix the two histories.
import {
  type EventStore,
  type EventToAppend,
  IdempotencyMismatch,
  type RecordedEvent,
} from '../eventstore/eventStore.ts';
import { personalFieldsOf } from './encryptedFields.ts';
import { isSealedField } from './fieldCipher.ts';

export type MigrationStores = {
  /** the old store, read as it is stored (plaintext) */
  source: EventStore;
  /** the new store as stored (no decryption): what an earlier run copied is compared with the source */
  targetStored: EventStore;
  /** the new store behind the encrypting decorator, sealing on append */
  targetSealing: EventStore;
};

export type MigrationProgress = { copied: number; skipped: number };

export type MigrationOptions = {
  /** events read per page of either store */
  pageSize?: number;
  /** after each page copied */
  onProgress?: (progress: MigrationProgress) => void;
};

/** The new store holds an event the old one does not have at that place in its order. */
export class TargetHoldsOtherEvents extends Error {
  override readonly name = 'TargetHoldsOtherEvents';
  constructor(event: RecordedEvent, expected: RecordedEvent | undefined) {
    super(
      `the target store holds event ${event.id} (${event.type}, ${event.stream}@${event.revision}), which is not ` +
        (expected
          ? `the source's event at that place (${expected.id}, ${expected.stream}@${expected.revision})`
          : 'in the source at all') +
        '; the migration copies only into an empty store or one an earlier run of it filled',
    );
  }
}

/** An event of the old store already holds a sealed field: it was written with encryption on. */
export class SourceEventSealed extends Error {
  override readonly name = 'SourceEventSealed';
  constructor(event: RecordedEvent) {
    super(
      `source event ${event.id} (${event.type}) already holds an encrypted field; the migration copies ` +
        'plaintext events only (its data keys are in the source database, not the target)',
    );
  }
}

/** most events of one stream in one append (the PostgreSQL store takes up to 1,000) */
const MAX_RUN = 500;

const sameEvent = (a: RecordedEvent, b: RecordedEvent) =>
  a.id === b.id && a.stream === b.stream && a.revision === b.revision && a.type === b.type;

/** every event of `store` in global order, a page at a time */
async function* eventsOf(store: EventStore, pageSize: number): AsyncGenerator<RecordedEvent> {
  let fromPosition: RecordedEvent['position'] | undefined;
  for (;;) {
    const page = await store.readAll({ limit: pageSize, ...(fromPosition ? { fromPosition } : {}) });
    if (page.length === 0) return;
    yield* page;
    fromPosition = page.at(-1)!.position;
  }
}

const toAppend = (event: RecordedEvent): EventToAppend => ({
  id: event.id,
  type: event.type,
  data: event.data,
  metadata: event.metadata,
});

/**
 * Copies what the target lacks of the source and returns how many events it copied and how many it
 * found already there. Throws TargetHoldsOtherEvents before copying anything when the target holds
 * events of another history, SourceEventSealed at the first source event that is not plaintext.
 * Run it with nothing else writing to either store.
 */
export async function migratePlaintextEvents(
  stores: MigrationStores,
  options: MigrationOptions = {},
): Promise<MigrationProgress> {
  const pageSize = options.pageSize ?? 500;
  const source = eventsOf(stores.source, pageSize)[Symbol.asyncIterator]();
  const progress = { copied: 0, skipped: 0 };

  for await (const present of eventsOf(stores.targetStored, pageSize)) {
    const next = await source.next();
    if (next.done || !sameEvent(next.value, present)) {
      throw new TargetHoldsOtherEvents(present, next.done ? undefined : next.value);
    }
    progress.skipped += 1;
  }

  // consecutive events of one stream go in one append (their order is kept); each append names the
  // revision before its first event, so every event lands at the revision it had in the source
  let run: RecordedEvent[] = [];
  const append = async (events: RecordedEvent[]) => {
    const first = events[0]!;
    const result = await stores.targetSealing.appendToStream(first.stream, events.map(toAppend), {
      expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n,
    });
    // a run copied meanwhile by someone else is already stored (the store dedupes by event id)
    if (result.alreadyStored) progress.skipped += events.length;
    else progress.copied += events.length;
  };
  const flush = async () => {
    if (run.length === 0) return;
    const events = run;
    run = [];
    try {
      await append(events);
    } catch (error) {
      if (!(error instanceof IdempotencyMismatch)) throw error;
      // the run begins with events an earlier run appended that $all did not show yet (PostgreSQL shows
      // an event to $all readers once every older transaction in the cluster has ended; a stream read
      // sees it at once): those are skipped, the rest appended
      const present = await stores.targetStored.readStream(events[0]!.stream, {
        from: events[0]!.revision,
        limit: events.length,
      });
      present.forEach((event, i) => {
        if (!sameEvent(event, events[i]!)) throw new TargetHoldsOtherEvents(event, events[i]);
      });
      progress.skipped += present.length;
      if (present.length < events.length) await append(events.slice(present.length));
    }
  };
  let sincePage = 0;
  for (let next = await source.next(); !next.done; next = await source.next()) {
    const event = next.value;
    if (personalFieldsOf(event.type, event).some((field) => isSealedField(field.holder[field.name]))) {
      throw new SourceEventSealed(event);
    }
    if (run.length > 0 && (run[0]!.stream !== event.stream || run.length >= MAX_RUN)) await flush();
    run.push(event);
    if (++sincePage >= pageSize) {
      await flush();
      options.onProgress?.({ ...progress });
      sincePage = 0;
    }
  }
  await flush();
  options.onProgress?.({ ...progress });
  return progress;
}
