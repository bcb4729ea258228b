// The one way commands write: load the stream's state, decide, append with the exact expected revision,
// and on a concurrent write re-read and decide again. A decision that records nothing (the change already
// holds, e.g. a participant another admin removed a moment ago) succeeds without an append.
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import type { DecideContext } from '../domain/actor.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import { EVENT_SCHEMA_VERSION } from '../domain/events.ts';
import {
  type EventMetadata,
  type EventToAppend,
  encodePosition,
  type Position,
  START,
  WrongExpectedVersion,
} from '../eventstore/eventStore.ts';
import { type CommandContext, decideContextOf } from './context.ts';

type DomainEvent = { type: string; data: unknown };

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

/** Folds a stream into its aggregate's state, starting from the cached state when there is one. */
export async function loadAggregate<State, Event extends DomainEvent>(
  ctx: CommandContext,
  aggregate: Aggregate<State, Event>,
  stream: string,
): Promise<Loaded<State>> {
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
  if (recorded.length > 0)
    ctx.stateCache?.set(stream, { aggregate: aggregate.name, state, revision, position });
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

export async function handleCommand<State, Event extends DomainEvent>(
  ctx: CommandContext,
  aggregate: Aggregate<State, Event>,
  stream: string,
  decide: (state: State, context: DecideContext) => Event[] | Promise<Event[]>,
  options: HandleOptions<Event> = {},
): Promise<CommandOutcome<State, Event>> {
  const context = decideContextOf(ctx);
  const correlationId = ctx.correlationId ?? uuidv7();
  const occurredAt = context.now.toISOString();

  for (let attempt = 1; ; attempt++) {
    const loaded: Loaded<State> =
      options.assumeNewStream && attempt === 1
        ? { state: aggregate.initialState(), revision: -1n, position: START }
        : await loadAggregate(ctx, aggregate, stream);
    const events = await decide(loaded.state, context);
    if (events.length === 0) {
      return { ...loaded, events, changed: false, position: encodePosition(loaded.position) };
    }
    const toAppend: EventToAppend[] = events.map((event, index) => ({
      id: options.eventId?.(event, index) ?? uuidv7(),
      type: event.type,
      data: event.data,
      metadata: metadataFor(ctx, event, occurredAt, correlationId),
    }));
    try {
      const result = await ctx.eventStore.appendToStream(stream, toAppend, {
        expectedRevision: loaded.revision < 0n ? 'no_stream' : loaded.revision,
      });
      const state = events.reduce(aggregate.evolve, loaded.state);
      ctx.stateCache?.set(stream, {
        aggregate: aggregate.name,
        state,
        revision: result.nextExpectedRevision,
        position: result.position,
      });
      return {
        state,
        events,
        changed: true,
        revision: result.nextExpectedRevision,
        position: encodePosition(result.position),
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= MAX_ATTEMPTS) throw error;
      ctx.stateCache?.delete(stream);
      // jittered exponential backoff, so racing writers do not collide again in lockstep
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
