// Crypto-shredding as an event store decorator (docs/privacy.md): the personal fields of an event
// (encryptedFields.ts) are sealed on append with the data key of their subject, room and day, and opened
// on every read (streams, $all, subscriptions), so commands, projections, jobs and the audit log see
// plaintext and know nothing of keys. A field whose key was destroyed reads as null: the tombstone.
// Unwrapped keys stay in LRU caches, so a send costs no key lookup after its scope's first of the day.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  type AllSubscription,
  EventNotStorable,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  unstorableText,
} from '../eventstore/eventStore.ts';
import { ENCRYPTED_FIELDS, type PersonalField, personalFieldsOfCopy } from './encryptedFields.ts';
import {
  type CipherKey,
  cipherKeyOf,
  isSealedField,
  openEnvelope,
  type SealedField,
  sealFields,
} from './fieldCipher.ts';
import { type KeyScope, type KeyStore, scopeKey, utcDayOf } from './keyStore.ts';

export type EncryptingEventStoreOptions = {
  keyStore: KeyStore;
  /** false: new events are stored as they come (PRIVACY_ENCRYPTION=off); stored envelopes still open */
  encryptOnAppend: boolean;
  /** unwrapped keys kept, per cache */
  maxCachedKeys?: number;
  /**
   * how long a live key stays cached: another process's erasure reaches this one's cache by its notice
   * and count of destructions (keyDestructionNotice.ts), by the SubjectErased event it reads, and by
   * this bound when all of those missed
   */
  liveKeyTtlMs?: number;
};

export class UnknownDataKey extends Error {
  constructor(keyId: string) {
    super(`data key ${keyId} is not in the key store`);
    this.name = 'UnknownDataKey';
  }
}

export type EncryptingEventStore = EventStore & {
  /** drops every cached key (after a destruction in this process) */
  forgetCachedKeys(): void;
};

/** events recorded after keys were destroyed (in whichever process) */
const DESTROYS_KEYS = new Set(['SubjectErased', 'RetentionApplied']);

export function createEncryptingEventStore(
  inner: EventStore,
  options: EncryptingEventStoreOptions,
): EncryptingEventStore {
  const { keyStore } = options;
  const max = options.maxCachedKeys ?? 10_000;
  const ttl = options.liveKeyTtlMs ?? 5 * 60_000;
  const liveByScope = new LRUCache<string, CipherKey>({ max, ttl });
  const byId = new LRUCache<string, KeyObject | 'destroyed'>({ max, ttl });
  // The projector's live read models each read every message (the chat model, then the search model a
  // moment later), and opening an envelope is about 10 us of Node's cipher calls: what a subscription
  // opened is kept by event id (immutable strings, in the order personalFieldsOfCopy finds them), under
  // the same lifetime and the same forgets as the keys that opened them, so it holds nothing those keys
  // would not open again. Bounded by count and by text held: the search model reads about 0.2 s behind chat
  // (400 events at 2,000 msg/s), and 4 million characters is at most 8 MB even if every message is long
  const openedById = new LRUCache<string, readonly (string | null)[]>({
    max: 5_000,
    maxSize: 4_000_000,
    sizeCalculation: (texts) => texts.reduce((sum, text) => sum + (text?.length ?? 0), 1),
    ttl,
  });

  // counts the forgets: a key store answer read before one is used for its call but not cached, since the
  // key may be among those destroyed
  let generation = 0;
  function forgetCachedKeys() {
    generation += 1;
    liveByScope.clear();
    byId.clear();
    openedById.clear();
  }

  async function liveKeys(scopes: KeyScope[]): Promise<Map<string, CipherKey>> {
    const found = new Map<string, CipherKey>();
    const missing = new Map<string, KeyScope>();
    for (const scope of scopes) {
      const id = scopeKey(scope);
      const cached = liveByScope.get(id);
      if (cached) found.set(id, cached);
      else missing.set(id, scope);
    }
    if (missing.size > 0) {
      const asked = [...missing.values()];
      const asOf = generation;
      const keys = await keyStore.liveKeys(asked);
      const keep = asOf === generation;
      asked.forEach((scope, i) => {
        const id = scopeKey(scope);
        const key = cipherKeyOf(keys[i]!);
        if (keep) {
          liveByScope.set(id, key);
          byId.set(key.keyId, key.key);
        }
        found.set(id, key);
      });
    }
    return found;
  }

  async function seal(events: readonly EventToAppend[]): Promise<readonly EventToAppend[]> {
    const pending: {
      event: EventToAppend;
      fields: PersonalField[];
      scopes: KeyScope[];
    }[] = [];
    const sealed = events.map((event) => {
      if (!ENCRYPTED_FIELDS[event.type]) return event;
      const { copy, fields: all } = personalFieldsOfCopy(event);
      const fields = all.filter((field) => typeof field.holder[field.name] === 'string');
      if (fields.length === 0) return event;
      // what the store could not hold in clear it must not hold sealed either (EventNotStorable): the
      // readers would get it back in clear and fail on it. The rest of the event the store checks itself.
      for (const field of fields) {
        const unstorable = unstorableText(field.holder[field.name] as string);
        if (unstorable) throw new EventNotStorable(event.id, unstorable);
      }
      const roomId = event.metadata.roomId ?? '';
      const day = utcDayOf(event.metadata.occurredAt);
      pending.push({
        event: copy,
        fields,
        scopes: fields.map((f) => ({ subjectId: f.subjectId, roomId, day })),
      });
      return copy;
    });
    if (pending.length === 0) return events;
    const keys = await liveKeys(pending.flatMap((p) => p.scopes));
    for (const { event, fields, scopes } of pending) {
      // the fields under one key in one envelope: a message's body, sender name and file name are one
      // cipher call, not three
      const byScope = new Map<string, PersonalField[]>();
      fields.forEach((field, i) => {
        const id = scopeKey(scopes[i]!);
        const group = byScope.get(id);
        if (group) group.push(field);
        else byScope.set(id, [field]);
      });
      for (const [id, group] of byScope) {
        const texts = group.map((field) => [field.path, field.holder[field.name] as string] as const);
        sealFields(keys.get(id)!, event.id, texts).forEach((sealedField, i) => {
          group[i]!.holder[group[i]!.name] = sealedField;
        });
      }
    }
    return sealed;
  }

  /** `remember`: keep what it opens for the next reader (live reads; a rebuild's page has no next reader) */
  async function open<E extends RecordedEvent>(events: E[], remember = false): Promise<E[]> {
    // another process destroyed keys: nothing this one holds may open what comes after
    if (events.some((event) => DESTROYS_KEYS.has(event.type))) forgetCachedKeys();
    // the keys this read opens with: those cached when it began (a forget meanwhile clears the cache, not
    // this read), and those it fetches
    const asOf = generation;
    const keysOf = new Map<string, KeyObject | 'destroyed'>();
    const opened = events.slice();
    const wanted = new Set<string>();
    const sealedEvents: { index: number; copy: E; fields: PersonalField[] }[] = [];
    events.forEach((event, index) => {
      if (!ENCRYPTED_FIELDS[event.type]) return;
      // a copy, so a reader never sees another reader's plaintext through a shared object
      const { copy, fields: all } = personalFieldsOfCopy(event);
      const fields = all.filter((f) => isSealedField(f.holder[f.name]));
      if (fields.length === 0) return;
      const known = openedById.get(event.id);
      if (known?.length === fields.length) {
        fields.forEach((field, i) => {
          field.holder[field.name] = known[i];
        });
        opened[index] = copy;
        return;
      }
      for (const field of fields) {
        const sealed = field.holder[field.name] as SealedField;
        // a reference needs no key of its own: its envelope names it
        if ('in' in sealed) continue;
        const kid = sealed.kid;
        const cached = byId.get(kid);
        if (cached === undefined) wanted.add(kid);
        else keysOf.set(kid, cached);
      }
      sealedEvents.push({ index, copy, fields });
    });
    if (sealedEvents.length === 0) return opened;
    if (wanted.size > 0) {
      const found = await keyStore.keysById([...wanted]);
      for (const [kid, stored] of found) {
        const key = stored === 'destroyed' ? stored : createSecretKey(stored);
        keysOf.set(kid, key);
        if (asOf === generation) byId.set(kid, key);
      }
    }
    // a forget since this read began may have been for keys it used: what it opened is not kept
    const keep = remember && asOf === generation;
    for (const { index, copy, fields } of sealedEvents) {
      // each envelope's texts by the path of the field holding it (null: its key was destroyed); a
      // reference comes after its envelope, as sealFields writes them
      const envelopes = new Map<string, ReadonlyMap<string, string> | null>();
      const texts = fields.map((field) => {
        const sealed = field.holder[field.name] as SealedField;
        let envelope: ReadonlyMap<string, string> | null | undefined;
        if ('in' in sealed) {
          envelope = envelopes.get(sealed.in);
          if (envelope === undefined)
            throw new Error(`event ${copy.id}: ${field.path} refers to no envelope at ${sealed.in}`);
        } else {
          const key = keysOf.get(sealed.kid);
          if (key === undefined) throw new UnknownDataKey(sealed.kid);
          envelope = key === 'destroyed' ? null : openEnvelope(key, copy.id, field.path, sealed);
          envelopes.set(field.path, envelope);
        }
        const text = envelope === null ? null : envelope.get(field.path);
        if (text === undefined) throw new Error(`event ${copy.id}: its envelope holds no ${field.path}`);
        field.holder[field.name] = text;
        return text;
      });
      if (keep) openedById.set(copy.id, texts);
      opened[index] = copy;
    }
    return opened;
  }

  function openSubscription(subscription: AllSubscription): AllSubscription {
    return {
      close: () => subscription.close(),
      reached: () => subscription.reached(),
      async *[Symbol.asyncIterator]() {
        for await (const batch of subscription) yield await open(batch, true);
      },
    };
  }

  return {
    async appendToStream(stream, events, appendOptions) {
      const stored = options.encryptOnAppend ? await seal(events) : events;
      return inner.appendToStream(stream, stored, appendOptions);
    },
    readStream: async (stream, readOptions) => open(await inner.readStream(stream, readOptions)),
    readAll: async (readOptions) => open(await inner.readAll(readOptions)),
    subscribeToAll: (subscribeOptions) => openSubscription(inner.subscribeToAll(subscribeOptions)),
    headPosition: () => inner.headPosition(),
    close: () => inner.close(),
    forgetCachedKeys,
  };
}
