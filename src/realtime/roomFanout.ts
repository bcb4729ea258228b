// Delivers each room's feed to this node's sockets in that room: in seq order, each entry once, none skipped.
//
// One hub per room with local sockets. The hub subscribes to the room's Redis channel, then processes its
// work (live entries, socket joins) one item at a time, so a join's catch-up from room_feed and the live
// entries arriving meanwhile cannot interleave. Redis pub/sub may drop messages: when a live entry's seq
// jumps past the hub's last one, the hub first fetches the missing entries from room_feed. Every socket also
// keeps its own cursor, which drops what it already has (an entry seen in catch-up and again live).
// History visibility: a socket's catch-up reads only what its user may read (the read model decides); a
// live frame about a message in a `joined` room (WireMessage.messageSeq) goes only to sockets whose user
// may read that message (RoomSink.sees).
import type { Redis } from 'ioredis';
import { deliveries, fanoutLagSeconds, sendToDeliverySeconds } from '../metrics/metrics.ts';
import type { FeedEntry } from '../projections/changeFeed.ts';
import { decodeWire, feedEntryToWire, roomChannel, type WireMessage } from './feedWire.ts';

/** Where catch-up and gap fills read from: the room_feed read model. */
export type FeedSource = {
  /** entries with seq > afterSeq, in seq order, at most `limit` (gap fills, for every socket of the room) */
  readFeed(roomId: string, afterSeq: number, limit: number): Promise<FeedEntry[]>;
  /**
   * the entries with seq > afterSeq that `userId` may read, in seq order, at most `limit` (a catch-up);
   * `toSeq`: how far the feed was read (the entries up to it that are missing were not theirs to read);
   * `headSeq`: the room's last seq as of the same read
   */
  readFeedFor(
    roomId: string,
    userId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ entries: FeedEntry[]; toSeq: number; headSeq: number }>;
  /** the room's last feed seq (0 when the room has none) */
  headSeq(roomId: string): Promise<number>;
};

/** One socket's view of a room (a user-level socket is a sink in each room it subscribed to). */
export type RoomSink = {
  readonly userId: string;
  isOpen(): boolean;
  send(roomId: string, message: WireMessage): void;
  /** whether the user may read the message sent at this seq (asked of frames about a message in `joined` rooms) */
  sees(messageSeq: number): boolean;
  /** the user left or was removed: the frame saying so was the last one sent; the hub has dropped the sink */
  revoke(roomId: string): void;
  /** delivery can no longer be guaranteed (Redis connection lost, feed unreadable): reconnect and resume */
  interrupt(reason: string): void;
};

export type JoinOutcome =
  /** no last_seq given: live from `toSeq` */
  | { resumed: false; toSeq: number }
  /** every entry after `fromSeq` up to `toSeq` was sent before this outcome */
  | { resumed: true; recovered: true; fromSeq: number; toSeq: number }
  /** the cursor cannot be honoured; live from `toSeq`, the client reloads history over REST */
  | {
      resumed: true;
      recovered: false;
      fromSeq: number;
      toSeq: number;
      reason: 'unknown_seq' | 'too_far_behind';
    };

export type JoinOptions = {
  /** the client's last seen seq (resume); omitted: start live at the room's head */
  afterSeq?: number;
  /**
   * the seq of the user's current join: a removal of theirs after it ends the delivery (one from an
   * earlier membership, replayed, does not)
   */
  joinedSeq: number;
  /** the first seq the user may read (1: all of the room's history); a resume from before starts here */
  firstReadableSeq: number;
  /** called once the room's channel is subscribed, before any catch-up frame (room socket: the greeting) */
  ready?(): void;
  /** called in order: after the catch-up frames, before any live frame */
  announce(outcome: JoinOutcome): void;
};

export type RoomFanout = {
  join(roomId: string, sink: RoomSink, options: JoinOptions): Promise<void>;
  leave(roomId: string, sink: RoomSink): void;
  close(): Promise<void>;
};

export type RoomFanoutOptions = {
  /** a connection of its own: in subscriber mode it can do nothing else */
  subscriber: Redis;
  prefix: string;
  source: FeedSource;
  /** a resume further behind than this gets recovered:false instead of a replay (bounds reconnect storms) */
  maxReplay?: number;
  logger?: { warn(object: object, message: string): void; error(object: object, message: string): void };
};

const PAGE = 500;

type Join = { kind: 'join'; sink: RoomSink; options: JoinOptions; done: (error?: unknown) => void };
type Work = { kind: 'live'; message: WireMessage } | Join;

/** A join's first read: the room's head, and for a resume the first page of its catch-up. */
type FirstRead = { headSeq: number; page?: { entries: FeedEntry[]; toSeq: number } };

type Hub = {
  roomId: string;
  channel: string;
  sinks: Map<RoomSink, { cursor: number }>;
  /** sinks plus joins still waiting in `work` */
  members: number;
  /** highest seq delivered on this node; -1 until the first join has caught up */
  lastSeq: number;
  work: Work[];
  running: boolean;
  subscribed: Promise<unknown>;
};

export function createRoomFanout(options: RoomFanoutOptions): RoomFanout {
  const { subscriber, prefix, source, logger } = options;
  const maxReplay = options.maxReplay ?? 1_000;
  const hubs = new Map<string, Hub>();
  const channelPrefix = roomChannel(prefix, '');
  let wasReady = subscriber.status === 'ready';

  subscriber.on('message', (channel: string, text: string) => {
    const hub = hubs.get(channel.slice(channelPrefix.length));
    const message = hub && decodeWire(text);
    if (!hub || !message) return;
    if (message.seq === 0) return deliverEphemeral(hub, message);
    const created = createdAtOf(message);
    if (created !== undefined) fanoutLagSeconds.observe((Date.now() - created) / 1000);
    enqueue(hub, { kind: 'live', message });
  });
  subscriber.on('ready', () => {
    wasReady = true;
  });
  // Messages published while the connection was down are gone, and a quiet room would never show a gap:
  // tell every socket, which reconnects and resumes from its last seq.
  subscriber.on('close', () => {
    if (!wasReady) return;
    wasReady = false;
    interruptAll('fan-out connection lost');
  });

  function hubFor(roomId: string): Hub {
    let hub = hubs.get(roomId);
    if (!hub) {
      const channel = roomChannel(prefix, roomId);
      hub = {
        roomId,
        channel,
        sinks: new Map(),
        members: 0,
        lastSeq: -1,
        work: [],
        running: false,
        subscribed: subscriber.subscribe(channel),
      };
      hubs.set(roomId, hub);
    }
    return hub;
  }

  function release(hub: Hub) {
    hub.members--;
    if (hub.members > 0 || hubs.get(hub.roomId) !== hub) return;
    hubs.delete(hub.roomId);
    subscriber.unsubscribe(hub.channel).catch(() => {});
  }

  function enqueue(hub: Hub, work: Work) {
    hub.work.push(work);
    if (!hub.running) void drain(hub);
  }

  async function drain(hub: Hub) {
    hub.running = true;
    try {
      for (let work = hub.work.shift(); work; work = hub.work.shift()) {
        if (work.kind === 'live') await acceptLive(hub, work.message);
        else await runJoins(hub, [work, ...takeJoins(hub)]);
      }
    } finally {
      hub.running = false;
    }
  }

  async function acceptLive(hub: Hub, message: WireMessage) {
    if (hub.lastSeq < 0 || message.seq <= hub.lastSeq) return; // no one caught up yet, or a duplicate
    if (message.seq > hub.lastSeq + 1) {
      try {
        await fillGap(hub, message.seq);
      } catch (error) {
        logger?.error({ err: error, roomId: hub.roomId }, 'cannot read room_feed to fill a gap');
        for (const sink of [...hub.sinks.keys()]) sink.interrupt('feed unavailable');
        return;
      }
    }
    deliver(hub, message);
    const created = createdAtOf(message);
    if (created !== undefined) sendToDeliverySeconds.observe((Date.now() - created) / 1000);
  }

  async function fillGap(hub: Hub, upToSeq: number) {
    while (hub.lastSeq + 1 < upToSeq) {
      const entries = await source.readFeed(
        hub.roomId,
        hub.lastSeq,
        Math.min(PAGE, upToSeq - hub.lastSeq - 1),
      );
      if (entries.length === 0) break;
      for (const entry of entries) deliver(hub, feedEntryToWire(entry));
    }
  }

  function deliver(hub: Hub, message: WireMessage) {
    hub.lastSeq = Math.max(hub.lastSeq, message.seq);
    // the loop runs once per socket in the room (a thousand in a big one): what holds for the whole
    // frame is worked out before it
    const revoked = message.revokes ? message.subject : undefined;
    const aboutSeq = message.messageSeq ?? 0;
    let delivered = 0;
    for (const [sink, state] of hub.sinks) {
      if (message.seq <= state.cursor) continue;
      state.cursor = message.seq;
      if (aboutSeq > 0 && !sink.sees(aboutSeq)) continue;
      sink.send(hub.roomId, message);
      delivered++;
      if (sink.userId === revoked) {
        hub.sinks.delete(sink);
        release(hub);
        sink.revoke(hub.roomId);
      }
    }
    if (delivered > 0) deliveries.inc(delivered);
  }

  function deliverEphemeral(hub: Hub, message: WireMessage) {
    for (const sink of hub.sinks.keys()) if (sink.userId !== message.subject) sink.send(hub.roomId, message);
  }

  /** the joins waiting at the front of the hub's work (a reconnect storm brings a room's members at once) */
  function takeJoins(hub: Hub): Join[] {
    const joins: Join[] = [];
    while (hub.work[0]?.kind === 'join') joins.push(hub.work.shift() as Join);
    return joins;
  }

  /**
   * Joins that were waiting together read the feed at the same time (one round trip each, not one after
   * another), then are caught up and go live in their order. Every read starts after the live entries
   * queued before them were delivered, so each cursor is at or past the hub's; a hub that had no one
   * starts from the lowest of them (live entries past it reach only the sinks that lack them).
   */
  async function runJoins(hub: Hub, joins: Join[]) {
    const reads = joins.map((join) => firstRead(hub, join.sink, join.options));
    for (const read of reads) read.catch(() => {}); // each is awaited (and its error handed on) below
    const fresh = hub.lastSeq < 0;
    let lowest = Number.POSITIVE_INFINITY;
    for (const [index, join] of joins.entries()) {
      try {
        const cursor = await runJoin(hub, join.sink, join.options, await reads[index]!);
        if (cursor !== undefined) lowest = Math.min(lowest, cursor);
        join.done();
      } catch (error) {
        join.done(error);
      }
    }
    if (fresh && lowest !== Number.POSITIVE_INFINITY) hub.lastSeq = lowest;
  }

  function firstRead(hub: Hub, sink: RoomSink, options: JoinOptions): Promise<FirstRead> {
    if (options.afterSeq === undefined) return source.headSeq(hub.roomId).then((headSeq) => ({ headSeq }));
    return source
      .readFeedFor(hub.roomId, sink.userId, Math.max(options.afterSeq, floorOf(options)), PAGE)
      .then(({ headSeq, ...page }) => ({ headSeq, page }));
  }

  /** catches one sink up from its first read and adds it to the hub: its cursor, or undefined if it left */
  async function runJoin(
    hub: Hub,
    sink: RoomSink,
    options: JoinOptions,
    first: FirstRead,
  ): Promise<number | undefined> {
    const head = first.headSeq;
    if (!sink.isOpen()) return undefined;
    options.ready?.();
    const floor = floorOf(options);
    let cursor = head;
    let outcome: JoinOutcome = { resumed: false, toSeq: head };
    if (options.afterSeq !== undefined) {
      const fromSeq = options.afterSeq;
      if (fromSeq > head)
        outcome = { resumed: true, recovered: false, fromSeq, toSeq: head, reason: 'unknown_seq' };
      else if (head - Math.max(fromSeq, floor) > maxReplay) {
        outcome = { resumed: true, recovered: false, fromSeq, toSeq: head, reason: 'too_far_behind' };
      } else {
        // read to the end of the feed, not just to `head`: entries committed since are in it too
        for (let page = first.page!; ; ) {
          for (const entry of page.entries) {
            if (!sink.isOpen()) return undefined;
            const message = feedEntryToWire(entry);
            sink.send(hub.roomId, message);
            if (entry.seq > options.joinedSeq && isRevocationOf(message, sink)) {
              sink.revoke(hub.roomId);
              return undefined;
            }
          }
          cursor = page.toSeq;
          if (page.entries.length < PAGE) break;
          page = await source.readFeedFor(hub.roomId, sink.userId, cursor, PAGE);
        }
        outcome = { resumed: true, recovered: true, fromSeq, toSeq: cursor };
      }
    }
    if (!sink.isOpen()) return undefined;
    options.announce(outcome);
    hub.sinks.set(sink, { cursor });
    hub.members++; // the sink's own membership; the join's is released by the caller
    return cursor;
  }

  function interruptAll(reason: string) {
    const sinks = new Set<RoomSink>();
    for (const hub of hubs.values()) for (const sink of hub.sinks.keys()) sinks.add(sink);
    for (const sink of sinks) sink.interrupt(reason);
  }

  return {
    async join(roomId, sink, joinOptions) {
      const hub = hubFor(roomId);
      hub.members++;
      try {
        await hub.subscribed;
        await new Promise<void>((resolve, reject) => {
          enqueue(hub, {
            kind: 'join',
            sink,
            options: joinOptions,
            done: (error) => (error ? reject(error) : resolve()),
          });
        });
      } finally {
        release(hub);
      }
    },
    leave(roomId, sink) {
      const hub = hubs.get(roomId);
      if (hub?.sinks.delete(sink)) release(hub);
    },
    async close() {
      interruptAll('server shutting down');
      hubs.clear();
    },
  };
}

/** the seq a catch-up starts after: before the first one the user may read */
function floorOf(options: JoinOptions): number {
  return Math.max(0, options.firstReadableSeq - 1);
}

function isRevocationOf(message: WireMessage, sink: RoomSink): boolean {
  return message.revokes && message.subject === sink.userId;
}

const CREATED_AT = '"created_at":"';
/**
 * When a chat_message was created (its append), from the frame's text without parsing it: the message's
 * `created_at` is the first one in the frame. For the latency metrics; other frames have none that counts.
 */
function createdAtOf(message: WireMessage): number | undefined {
  if (message.type !== 'chat_message') return undefined;
  const at = message.frameText.indexOf(CREATED_AT);
  if (at < 0) return undefined;
  const start = at + CREATED_AT.length;
  const time = Date.parse(message.frameText.slice(start, message.frameText.indexOf('"', start)));
  return Number.isNaN(time) ? undefined : time;
}
