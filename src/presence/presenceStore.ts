// Presence (online / away / offline per user, across devices and nodes), kept in Redis and never in the
// event store: nothing of it must survive. Each node says which of its users have sockets (a hash per
// user: one field per node, `online` or `away`) and beats a heartbeat (its score in one sorted set of
// nodes). A user's status is the best of their live nodes' fields; a node whose heartbeat is older than
// HEARTBEAT_TTL counts as dead, and every node's sweep takes a dead node's users out. Scripts keep the
// status and publish a change once, on one channel every node listens to: a user with 500 rooms going
// online is one script call (one write) and one message per node, whatever the rooms. Who may see a change
// is decided by the node that delivers it (src/realtime/presenceDelivery.ts). A socket is away when its
// client says so, or by itself once idle (nothing a person does came from it for `idleMs`): a client that
// never says "away" does not keep its user online forever.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export type PresenceStatus = 'online' | 'away' | 'offline';
/** a user's status as Redis holds it; `lastSeen` (ms) once offline, null while connected or never seen */
export type PresenceState = { status: PresenceStatus; lastSeen: number | null };
export type PresenceChange = PresenceState & { userId: string };

/** a socket that has not said it is away counts as online; a user with only away sockets is away */
type NodeState = 'online' | 'away';

/** how long a user's status is kept after their last change (their "last seen" with it) */
const RETAIN_MS = 30 * 86_400_000;

export const presenceChannel = (prefix: string) => `${prefix}rt:presence`;

const keys = (prefix: string) => ({
  user: (userId: string) => `${prefix}presence:user:${userId}`,
  nodes: `${prefix}presence:nodes`,
  nodeUsers: (nodeId: string) => `${prefix}presence:node-users:${nodeId}`,
});

// Lua shared by both scripts. ARGV[1] is the prefix, ARGV[2] the heartbeat TTL (ms); `now` is Redis's
// clock, the one clock all nodes share.
const LUA_COMMON = `
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nodes = prefix .. 'presence:nodes'
local channel = prefix .. 'rt:presence'
local function recompute(userId, seen)
  local key = prefix .. 'presence:user:' .. userId
  local fields = redis.call('HGETALL', key)
  local status = 'offline'
  for i = 1, #fields, 2 do
    local node, state = fields[i], fields[i + 1]
    if string.sub(node, 1, 1) ~= '_' then
      local beat = redis.call('ZSCORE', nodes, node)
      if beat and tonumber(beat) >= now - ttl then
        if state == 'online' then status = 'online' elseif status == 'offline' then status = 'away' end
      end
    end
  end
  if status == (redis.call('HGET', key, '_status') or 'offline') then return end
  redis.call('HSET', key, '_status', status)
  if status == 'offline' then redis.call('HSET', key, '_seen', seen) end
  redis.call('PEXPIRE', key, ${RETAIN_MS})
  redis.call('PUBLISH', channel, userId .. '\\n' .. status .. '\\n' .. (status == 'offline' and seen or ''))
end
`;

/** ARGV[3] node, ARGV[4] user, ARGV[5] 'online' | 'away' | '' (this node has no socket of theirs left) */
const REPORT = `${LUA_COMMON}
local node, userId, state = ARGV[3], ARGV[4], ARGV[5]
local users = prefix .. 'presence:node-users:' .. node
redis.call('ZADD', nodes, now, node)
if state == '' then
  redis.call('HDEL', prefix .. 'presence:user:' .. userId, node)
  redis.call('SREM', users, userId)
else
  redis.call('HSET', prefix .. 'presence:user:' .. userId, node, state)
  redis.call('SADD', users, userId)
end
recompute(userId, now)
`;

/**
 * ARGV[3] node, ARGV[4] '1' to beat this node's heartbeat. Takes the users of every dead node out (their
 * last seen: the dead node's last heartbeat). Returns 1 when this node beat and had been taken for dead
 * (it stalled past the TTL): it then reports its users again.
 */
const TICK = `${LUA_COMMON}
local node = ARGV[3]
local missing = 0
if ARGV[4] == '1' then
  if not redis.call('ZSCORE', nodes, node) then missing = 1 end
  redis.call('ZADD', nodes, now, node)
end
local dead = redis.call('ZRANGEBYSCORE', nodes, '-inf', '(' .. (now - ttl), 'WITHSCORES')
for i = 1, #dead, 2 do
  local gone, beat = dead[i], dead[i + 1]
  local users = prefix .. 'presence:node-users:' .. gone
  local members = redis.call('SMEMBERS', users)
  redis.call('ZREM', nodes, gone)
  redis.call('DEL', users)
  for _, userId in ipairs(members) do
    redis.call('HDEL', prefix .. 'presence:user:' .. userId, gone)
    recompute(userId, beat)
  end
end
return missing
`;

/** Republishes a user's status as it is (their invisible setting changed: every node decides again). */
const ANNOUNCE = `${LUA_COMMON}
local userId = ARGV[3]
local key = prefix .. 'presence:user:' .. userId
local status = redis.call('HGET', key, '_status') or 'offline'
local seen = redis.call('HGET', key, '_seen') or ''
redis.call('PUBLISH', channel, userId .. '\\n' .. status .. '\\n' .. (status == 'offline' and seen or ''))
`;

export type PresenceStore = {
  readonly nodeId: string;
  /** a socket of `userId` opened on this node (online until it says it is away) */
  opened(userId: string, socket: object): Promise<void>;
  /** the socket is away (the app went to the background, the user is idle) or back */
  setAway(userId: string, socket: object, away: boolean): Promise<void>;
  /** the socket's user did something (sent, typed, read; not a keepalive): it is not idle */
  active(userId: string, socket: object): Promise<void>;
  closed(userId: string, socket: object): Promise<void>;
  /** the users' statuses now (offline for anyone unknown) */
  states(userIds: readonly string[]): Promise<Map<string, PresenceState>>;
  /** republish a user's status (after their invisible setting changed) */
  announce(userId: string): Promise<void>;
  /** stops the heartbeat; `graceful`: this node's users are taken out at once (else the sweep does it) */
  stop(graceful: boolean): Promise<void>;
};

export type PresenceOptions = {
  redis: Redis;
  prefix: string;
  /**
   * the heartbeat interval (ms): a node writes its heartbeat twice per interval and counts as dead once
   * silent for 1.5 intervals; every node sweeps every quarter interval, so a dead node's users are offline
   * within 1.75 intervals of its last heartbeat
   */
  heartbeatMs: number;
  /** a socket with no activity for this long is away until its next (checked on every sweep) */
  idleMs: number;
  onError(error: unknown): void;
};

/** A socket as presence sees it: away when its client said so, or when idle. */
type SocketPresence = { away: boolean; idle: boolean; activeAt: number };

export function createPresenceStore(options: PresenceOptions): PresenceStore {
  const { redis, prefix, heartbeatMs } = options;
  const nodeId = randomUUID();
  const ttl = Math.round(heartbeatMs * 1.5);
  const k = keys(prefix);
  /** this node's sockets per user, and whether each is away */
  const local = new Map<string, Map<object, SocketPresence>>();
  const reported = new Map<string, NodeState>();
  // a user's reports go one after another, so Redis sees this node's state changes in order
  const queues = new Map<string, Promise<void>>();

  const run = (script: string, ...args: string[]) => redis.eval(script, 0, prefix, String(ttl), ...args);

  function stateOf(userId: string): NodeState | null {
    const sockets = local.get(userId);
    if (!sockets || sockets.size === 0) return null;
    return [...sockets.values()].some((s) => !s.away && !s.idle) ? 'online' : 'away';
  }

  function sync(userId: string): Promise<void> {
    const next = (queues.get(userId) ?? Promise.resolve()).then(async () => {
      const state = stateOf(userId);
      if ((reported.get(userId) ?? null) === state) return;
      await run(REPORT, nodeId, userId, state ?? '');
      if (state) reported.set(userId, state);
      else reported.delete(userId);
    });
    const settled = next.catch(options.onError);
    queues.set(userId, settled);
    void settled.then(() => {
      if (queues.get(userId) === settled) queues.delete(userId);
    });
    return next;
  }

  /** sockets idle since the last sweep turn away: their users' state is reported again */
  function sweepIdle(now: number) {
    for (const [userId, sockets] of local) {
      let turned = false;
      for (const socket of sockets.values()) {
        if (!socket.idle && now - socket.activeAt >= options.idleMs) {
          socket.idle = true;
          turned = true;
        }
      }
      if (turned) void sync(userId).catch(() => {});
    }
  }

  let ticks = 0;
  const tick = setInterval(
    () => {
      sweepIdle(Date.now());
      // every second tick beats (a live node's heartbeat is at most half an interval old, so it may stall
      // for a whole interval before it counts as dead); every tick sweeps: a dead node's users are offline
      // within 1.75 intervals
      run(TICK, nodeId, ticks++ % 2 === 0 ? '1' : '0')
        .then((missing) => {
          if (missing !== 1) return;
          reported.clear();
          for (const userId of local.keys()) void sync(userId).catch(() => {});
        })
        .catch(options.onError);
    },
    Math.max(1, Math.round(heartbeatMs / 4)),
  );
  tick.unref();

  return {
    nodeId,
    opened(userId, socket) {
      const sockets = local.get(userId) ?? new Map<object, SocketPresence>();
      sockets.set(socket, { away: false, idle: false, activeAt: Date.now() });
      local.set(userId, sockets);
      return sync(userId);
    },
    setAway(userId, socket, away) {
      const state = local.get(userId)?.get(socket);
      if (!state) return Promise.resolve();
      state.away = away;
      // saying "back" is a person's doing
      if (!away) Object.assign(state, { idle: false, activeAt: Date.now() });
      return sync(userId);
    },
    active(userId, socket) {
      const state = local.get(userId)?.get(socket);
      if (!state) return Promise.resolve();
      state.activeAt = Date.now();
      if (!state.idle) return Promise.resolve();
      state.idle = false;
      return sync(userId);
    },
    closed(userId, socket) {
      const sockets = local.get(userId);
      sockets?.delete(socket);
      if (sockets?.size === 0) local.delete(userId);
      return sync(userId);
    },
    async states(userIds) {
      const states = new Map<string, PresenceState>();
      if (userIds.length === 0) return states;
      const pipeline = redis.pipeline();
      for (const userId of userIds) pipeline.hmget(k.user(userId), '_status', '_seen');
      const results = (await pipeline.exec()) ?? [];
      userIds.forEach((userId, i) => {
        const [error, value] = results[i] ?? [new Error('no answer')];
        if (error) throw error;
        const [status, seen] = value as [string | null, string | null];
        const known = status === 'online' || status === 'away' ? status : 'offline';
        states.set(userId, { status: known, lastSeen: known === 'offline' && seen ? Number(seen) : null });
      });
      return states;
    },
    async announce(userId) {
      await run(ANNOUNCE, userId);
    },
    async stop(graceful) {
      clearInterval(tick);
      if (!graceful) return;
      for (const userId of [...local.keys()]) local.delete(userId);
      await Promise.all([...reported.keys()].map((userId) => sync(userId).catch(() => {})));
      await redis.zrem(k.nodes, nodeId).catch(() => {});
    },
  };
}

/** A change as published on presenceChannel: `user \n status \n last seen ms (offline only)`. */
export function decodePresenceChange(text: string): PresenceChange | null {
  const [userId, status, seen] = text.split('\n');
  if (!userId || (status !== 'online' && status !== 'away' && status !== 'offline')) return null;
  return { userId, status, lastSeen: seen ? Number(seen) : null };
}
