// The one way commands write: load the stream's state, decide, append with the exact expected revision,
// and on a concurrent write re-read and decide again. A decision that records nothing (the change already
// holds, e.g. a participant another admin removed a moment ago) succeeds without an append.
// What a decision reads from other streams through `loadConditioned` (a message's room) becomes a condition
// of the append: it happens only while those streams are still at the revisions the decision saw.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WhoAndWhen } from '../domain/actor.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import { EVENT_SCHEMA_VERSION } from '../domain/events.ts';
import { timeOrderedId } from '../domain/streams.ts';
import {
  type EventMetadata,
  type EventToAppend,
  encodePosition,
  type Position,
  START,
  type StreamCondition,
  WrongExpectedVersion,
} from '../eventstore/eventStore.ts';
import { type CommandContext, whoAndWhenOf } from './context.ts';

type DomainEvent = { type: string; data: unknown };

/** The stream changed since the revision the caller saw (CommandContext.ifRevision). */
export class StaleRevision extends Error {
  override readonly name = 'StaleRevision';
  readonly stream: string;
  readonly actual: bigint;
  constructor(stream: string, expected: bigint, actual: bigint) {
    super(`${stream} is at revision ${actual}, not ${expected}: it changed since it was read`);
    this.stream = stream;
    this.actual = actual;
  }
}

/** Attempts in all, when other writers keep winning the race for the same stream. */
const MAX_ATTEMPTS = 6;
const BACKOFF_BASE_MS = 5;

export type Loaded<State> = {
  state: State;
  /** revision of the stream's last event; -1n when the stream does not exist */
  revision: bigint;
  /** position of the stream's last event; START when the stream does not exist */
  position: Position;
};

export type CommandOutcome<State, Event> = {
  /** the state after the new events */
  state: State;
  /** what this command recorded: empty when the decision needed no change */
  events: Event[];
  changed: boolean;
  /** the stream's revision now (-1n: the stream still does not exist) */
  revision: bigint;
  /** encoded position of the stream's last event ('0' when it does not exist) */
  position: string;
  /** when the events this command recorded happened (their metadata's occurredAt); null when none */
  occurredAt: string | null;
};

export type HandleOptions<Event> = {
  /**
   * The stream is almost certainly new (a fresh or derived id): decide on the initial state and append
   * with no_stream without reading first; only a conflict costs a read.
   */
  assumeNewStream?: boolean;
  /** deterministic event ids (idempotent retries); uuid v7 otherwise */
  eventId?: (event: Event, index: number) => string;
};

/**
 * Loads another stream's state for a decision and makes the append conditional on that stream staying at
 * the revision loaded. A cached state is taken as it is, without a read: if it is stale the condition
 * refuses the append, the entry is dropped and the command decides again on a fresh load.
 */
export type ConditionedLoad = <State, Event extends DomainEvent>(
  aggregate: Aggregate<State, Event>,
  stream: string,
) => Promise<State>;

/** Folds a stream into its aggregate's state, starting from the cached state when there is one. */
export async function loadAggregate<State, Event extends DomainEvent>(
  ctx: CommandContext,
  aggregate: Aggregate<State, Event>,
  stream: string,
): Promise<Loaded<State>> {
  const since = ctx.stateCache?.epoch() ?? 0;
  const cached = ctx.stateCache?.get(stream, aggregate.name);
  let state = cached ? (cached.state as State) : aggregate.initialState();
  let revision = cached?.revision ?? -1n;
  let position = cached?.position ?? START;
  const recorded = await ctx.eventStore.readStream(stream, cached ? { from: revision + 1n } : undefined);
  for (const event of recorded) {
    state = aggregate.evolve(state, event as unknown as Event);
    revision = event.revision;
    position = event.position;
  }
  // a stream that does not exist is cached too (revision -1): a conditioned load then needs no read
  if (recorded.length > 0 || !cached)
    ctx.stateCache?.set(stream, { aggregate: aggregate.name, state, revision, position }, since);
  return { state, revision, position };
}

function metadataFor(ctx: CommandContext, event: DomainEvent, occurredAt: string, correlationId: string) {
  const data = event.data as { roomId?: unknown };
  const metadata: EventMetadata = {
    actorId: ctx.actor.userId,
    correlationId,
    causationId: ctx.causationId ?? correlationId,
    occurredAt,
    schemaVersion: EVENT_SCHEMA_VERSION,
  };
  if (typeof data.roomId === 'string') metadata.roomId = data.roomId;
  return metadata;
}

/**
 * The conditioned load of one attempt, with the conditions it collected. With `useCache` a cached state
 * is taken without a read; otherwise the stream's tail is read (from the cached revision on, if any).
 */
function conditionedLoads(ctx: CommandContext, useCache: boolean) {
  const conditions: StreamCondition[] = [];
  let servedFromCache = false;
  const load: ConditionedLoad = async <Read, ReadEvent extends DomainEvent>(
    aggregate: Aggregate<Read, ReadEvent>,
    stream: string,
  ) => {
    const cached = useCache ? ctx.stateCache?.get(stream, aggregate.name) : undefined;
    if (cached) servedFromCache = true;
    const read = cached ?? (await loadAggregate(ctx, aggregate, stream));
    conditions.push({ stream, revision: read.revision < 0n ? 'no_stream' : read.revision });
    return read.state as Read;
  };
  return { load, conditions, servedFromCache: () => servedFromCache };
}

export async function handleCommand<State, Event extends DomainEvent>(
  ctx: CommandContext,
  aggregate: Aggregate<State, Event>,
  stream: string,
  decide: (state: State, context: WhoAndWhen, loadConditioned: ConditionedLoad) => Event[] | Promise<Event[]>,
  options: HandleOptions<Event> = {},
): Promise<CommandOutcome<State, Event>> {
  const context = whoAndWhenOf(ctx);
  const correlationId = ctx.correlationId ?? timeOrderedId();
  const occurredAt = context.now.toISOString();

  let confirmOnFreshReads = false;
  for (let attempt = 1; ; attempt++) {
    const assumedNew = options.assumeNewStream === true && attempt === 1;
    const since = ctx.stateCache?.epoch() ?? 0;
    const loaded: Loaded<State> = assumedNew
      ? { state: aggregate.initialState(), revision: -1n, position: START }
      : await loadAggregate(ctx, aggregate, stream);
    if (ctx.ifRevision !== undefined && loaded.revision !== ctx.ifRevision) {
      throw new StaleRevision(stream, ctx.ifRevision, loaded.revision);
    }
    const reads = conditionedLoads(ctx, !confirmOnFreshReads);
    let events: Event[];
    try {
      events = await decide(loaded.state, context, reads.load);
    } catch (error) {
      // a refusal on cached states (say, not_a_participant from before another process added the user),
      // or on a stream assumed new (a retry of a send that succeeded before the sender was removed finds
      // its message), is confirmed on fresh ones before it is answered
      if (!reads.servedFromCache() && !assumedNew) throw error;
      confirmOnFreshReads = true;
      continue;
    }
    if (events.length === 0) {
      if (reads.servedFromCache()) {
        confirmOnFreshReads = true;
        continue;
      }
      return {
        ...loaded,
        events,
        changed: false,
        position: encodePosition(loaded.position),
        occurredAt: null,
      };
    }
    const toAppend: EventToAppend[] = events.map((event, index) => ({
      id: options.eventId?.(event, index) ?? timeOrderedId(),
      type: event.type,
      data: event.data,
      metadata: metadataFor(ctx, event, occurredAt, correlationId),
    }));
    try {
      const result = await ctx.eventStore.appendToStream(stream, toAppend, {
        expectedRevision: loaded.revision < 0n ? 'no_stream' : loaded.revision,
        conditions: reads.conditions,
      });
      if (result.alreadyStored) {
        // a retry of a command whose events (deterministic ids) an earlier call stored: answer with the
        // stream as it is, recording nothing
        const stored = await loadAggregate(ctx, aggregate, stream);
        return {
          ...stored,
          events: [],
          changed: false,
          position: encodePosition(stored.position),
          occurredAt: null,
        };
      }
      const state = events.reduce(aggregate.evolve, loaded.state);
      ctx.stateCache?.set(
        stream,
        {
          aggregate: aggregate.name,
          state,
          revision: result.nextExpectedRevision,
          position: result.position,
        },
        since,
      );
      return {
        state,
        events,
        changed: true,
        revision: result.nextExpectedRevision,
        position: encodePosition(result.position),
        occurredAt,
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= MAX_ATTEMPTS) throw error;
      // the stale stream: this one (another writer won) or a condition's (what the decision read moved on)
      ctx.stateCache?.delete(error.stream);
      // jittered exponential backoff, so racing writers do not collide again in lockstep; a stale condition
      // is no race for this stream, nor is a stream assumed new that already existed (a retry, say): the
      // next attempt's fresh load settles both
      if (error.stream === stream && !assumedNew)
        await sleep(BACKOFF_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** What every command answers besides its own ids: whether it changed anything, and where the stream is. */
export type CommandSummary = Pick<CommandOutcome<unknown, unknown>, 'changed' | 'revision' | 'position'>;

export function summaryOf(outcome: CommandOutcome<unknown, unknown>): CommandSummary {
  return { changed: outcome.changed, revision: outcome.revision, position: outcome.position };
}

export type ReadCommandResult = CommandSummary & { roomId: string; userId: string };
