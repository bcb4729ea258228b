// The event store port. Every command appends through it and every projection reads from it.
// It knows nothing of chat: streams, events, revisions and global positions only.
// Adapters: PostgreSQL (default, src/eventstore/postgres) and EventStoreDB/KurrentDB (src/eventstore/esdb).

/**
 * Optimistic concurrency check for an append, as in EventStoreDB:
 * - 'any': no check (the command layer never uses it for writes that must be idempotent, see docs/architecture.md)
 * - 'no_stream': the stream must not exist yet
 * - 'stream_exists': the stream must have at least one event
 * - bigint: the revision (0-based) of the stream's last event
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/**
 * A point in the global order. `commit`/`prepare` mirror EventStoreDB's $all position; the PostgreSQL
 * adapter stores (transaction id, sequence) in them. Compare with `comparePositions`, never by one field.
 */
export type Position = { readonly commit: bigint; readonly prepare: bigint };

export type EventMetadata = {
  actorId?: string;
  roomId?: string;
  correlationId?: string;
  causationId?: string;
  occurredAt: string;
  schemaVersion: number;
};

export type EventToAppend<Type extends string = string, Data = unknown> = {
  /** uuid; an append of an id already in the stream is an idempotent retry */
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
};

export type RecordedEvent<Type extends string = string, Data = unknown> = EventToAppend<Type, Data> & {
  stream: string;
  revision: bigint;
  position: Position;
  recordedAt: Date;
};

/**
 * "Append only if this other stream is still at exactly this revision": the state a decision read from
 * another stream (say, a room's membership for a message) has not changed by the time the append commits.
 * PostgreSQL checks it atomically with the append; EventStoreDB only just before (docs/eventstore-esdb.md).
 */
export type StreamCondition = {
  readonly stream: string;
  /** revision of the stream's last event, or 'no_stream' when it must not exist */
  readonly revision: bigint | 'no_stream';
};

export type AppendOptions = {
  expectedRevision: ExpectedRevision;
  /**
   * Other streams that must be at exactly these revisions, or nothing is appended: WrongExpectedVersion
   * then names the first condition stream found stale, with its actual revision.
   */
  conditions?: readonly StreamCondition[];
};

export type AppendResult = {
  /** revision of the last event now in the stream */
  nextExpectedRevision: bigint;
  /** global position of the last appended event */
  position: Position;
  /**
   * true when the whole batch was already in the stream (an idempotent retry) and this is the original
   * result: of racing identical appends, exactly one stores the events and answers false
   */
  alreadyStored: boolean;
};

export type ReadStreamOptions = {
  /** inclusive revision to start from; defaults to the start (forwards) or the end (backwards) */
  from?: bigint;
  direction?: 'forwards' | 'backwards';
  limit?: number;
};

/** Server-side filter for $all reads. All given parts must match. */
export type EventFilter = {
  streamPrefixes?: readonly string[];
  eventTypes?: readonly string[];
  /** only events whose metadata.roomId is this room (indexed: no scan of other rooms) */
  roomId?: string;
  /** only events whose metadata.actorId is this user (not indexed: the store scans, but ships only these) */
  actorId?: string;
};

export type ReadAllOptions = {
  /** exclusive: events strictly after this position; omitted = from the beginning */
  fromPosition?: Position;
  limit?: number;
  filter?: EventFilter;
};

export type SubscribeToAllOptions = {
  /** exclusive, like EventStoreDB: resume with the last position you processed */
  fromPosition?: Position;
  filter?: EventFilter;
  /** largest batch handed out at once */
  batchSize?: number;
  /**
   * a subscriber that need not see an append at once (a background read model, a job producer) reads at
   * most this often once caught up, however often appends wake it: fewer reads of the store under load.
   * A hint: adapters that are pushed events may ignore it
   */
  minReadIntervalMs?: number;
};

/**
 * Catch-up then live subscription over the global order. Yields batches (a projector commits a batch and
 * its checkpoint in one transaction); every event is yielded once, in strictly increasing position.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent[]> {
  close(): Promise<void>;
  /**
   * The position of the last event this subscription has gone past, its filter's skipped ones included,
   * once the consumer has asked for the batch after it (so everything up to here is handled); null before
   * any. A filtered consumer moves its checkpoint here while nothing it handles comes by.
   */
  reached(): Position | null;
}

export interface EventStore {
  appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  /** events of one stream; an empty array when the stream does not exist */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;
  /** position of the last event visible to readers, null when the store is empty */
  headPosition(): Promise<Position | null>;
  close(): Promise<void>;
}

export class WrongExpectedVersion extends Error {
  readonly code = 'wrong_expected_version';
  readonly stream: string;
  readonly expected: ExpectedRevision;
  /** revision of the stream's last event, or 'no_stream' */
  readonly actual: bigint | 'no_stream';
  constructor(stream: string, expected: ExpectedRevision, actual: bigint | 'no_stream') {
    super(`Stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersion';
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

export class EventTooLarge extends Error {
  readonly code = 'event_too_large';
  readonly eventId: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(eventId: string, sizeBytes: number, limitBytes: number) {
    super(`Event ${eventId} is ${sizeBytes} bytes; the limit is ${limitBytes} bytes`);
    this.name = 'EventTooLarge';
    this.eventId = eventId;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * An event whose JSON a store cannot hold as it is: PostgreSQL's jsonb refuses the NUL character and
 * lone surrogates (UTF-16 halves that are not Unicode characters), and neither survives UTF-8 intact.
 * Refused before the append joins a group commit, so it can never fail anyone else's append.
 */
export class EventNotStorable extends Error {
  readonly code = 'event_not_storable';
  readonly eventId: string;
  readonly reason: string;
  constructor(eventId: string, reason: string) {
    super(`Event ${eventId} cannot be stored: ${reason}`);
    this.name = 'EventNotStorable';
    this.eventId = eventId;
    this.reason = reason;
  }
}

/** Part of an append's ids already exist in the stream with other events around them: not a clean retry. */
export class IdempotencyMismatch extends Error {
  readonly code = 'idempotency_mismatch';
  readonly stream: string;
  constructor(stream: string, detail: string) {
    super(`Stream ${stream}: ${detail}`);
    this.name = 'IdempotencyMismatch';
    this.stream = stream;
  }
}

export const START: Position = { commit: -1n, prepare: -1n };

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

const PAD = 20;
/** A string form that sorts like the position (fixed-width digits): used in checkpoints and on the wire. */
export function encodePosition(p: Position): string {
  if (p.commit < 0n) return '0';
  return `${p.commit.toString().padStart(PAD, '0')}-${p.prepare.toString().padStart(PAD, '0')}`;
}

export function decodePosition(text: string): Position {
  if (text === '0') return START;
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(text);
  if (!match) throw new Error(`Not an event store position: ${text}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

/** Upper bound of one event's serialized size (data + metadata + type), like EventStoreDB's MaxAppendEventSize. */
export const DEFAULT_MAX_EVENT_BYTES = 1_048_576;

export type SerializedEvent = { readonly data: string; readonly metadata: string };

/**
 * An event's data and metadata as JSON text, after the checks every adapter makes before sending anything:
 * at most `maxEventBytes` (type + data + metadata, like EventStoreDB's MaxAppendEventSize: EventTooLarge)
 * and nothing a store cannot hold (EventNotStorable).
 */
export function serializeEvent(event: EventToAppend, maxEventBytes: number): SerializedEvent {
  const data = JSON.stringify(event.data ?? null);
  const metadata = JSON.stringify(event.metadata);
  const size = Buffer.byteLength(event.type) + Buffer.byteLength(data) + Buffer.byteLength(metadata);
  if (size > maxEventBytes) throw new EventTooLarge(event.id, size, maxEventBytes);
  const unstorable = unstorableEscape(data) ?? unstorableEscape(metadata);
  if (unstorable) throw new EventNotStorable(event.id, unstorable);
  return { data, metadata };
}

// what EventNotStorable says, whether the character was found in an event's JSON or in a text
const NUL_STORED = 'its JSON contains the NUL character (U+0000)';
const loneSurrogateStored = (hex: string) => `its JSON contains a lone surrogate (U+${hex.toUpperCase()})`;

/**
 * Why a string field could not be stored (the reasons serializeEvent gives for its JSON), or undefined:
 * what checks a text that is stored other than as itself (sealed by the encrypting store). With the u
 * flag a surrogate pair is one code point, so \p{Cs} matches only a lone surrogate.
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_STORED;
  if (text.isWellFormed()) return undefined;
  const lone = /\p{Cs}/u.exec(text)![0];
  return loneSurrogateStored(lone.charCodeAt(0).toString(16));
}

/**
 * JSON.stringify writes the NUL character as the escape \u0000 and a lone surrogate as \udXXX (a paired
 * one stays a real character), and writes a backslash of the text as \\. So an escape with an odd run of
 * backslashes before it is one of those characters; the common case, no "\u" at all, costs one search.
 */
function unstorableEscape(json: string): string | undefined {
  let at = json.indexOf('\\u');
  while (at !== -1) {
    let backslashes = 1;
    while (at - backslashes >= 0 && json.charCodeAt(at - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 1) {
      const hex = json.slice(at + 2, at + 6).toLowerCase();
      if (hex === '0000') return NUL_STORED;
      if (/^d[89a-f]/.test(hex)) return loneSurrogateStored(hex);
    }
    at = json.indexOf('\\u', at + 2);
  }
  return undefined;
}
