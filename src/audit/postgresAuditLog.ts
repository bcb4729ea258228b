// The audit log kept in PostgreSQL (migrations/1002_audit_log.sql): the sequencer that follows the event
// store's global order into the tree (AuditLog), one writer at a time under an advisory lock; signed
// checkpoints with the room heads they commit to; and the HashStore proofs are read from. A page of
// events, its leaves, nodes and frontiers commit in one transaction, so a crash leaves no half page.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import {
  decodePosition,
  type EventStore,
  encodePosition,
  type RecordedEvent,
} from '../eventstore/eventStore.ts';
import { AuditLog, type SignedCheckpoint } from './auditLog.ts';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';
import type { HashStore } from './hashStore.ts';
import { EVENT_SECRET_BYTES, type StoredLeaf } from './leaf.ts';
import type { NodeId, TreeState } from './merkleTree.ts';
import type { RoomHead } from './roomHeads.ts';
import type { NoteSigner } from './signedNote.ts';

/** every 4th level of the tree is stored: ~1.07 hashes per leaf, a proof node from at most 8 stored ones */
export const AUDIT_LEVEL_STRIDE = 4;
/** the sequencer's advisory lock (projections hold 7_420_002, the job follower its own) */
const SEQUENCER_LOCK = 7_420_013;
const PAGE = 2_000;

export class PostgresHashStore implements HashStore {
  readonly levelStride = AUDIT_LEVEL_STRIDE;
  readonly #db: pg.Pool | pg.ClientBase;
  constructor(db: pg.Pool | pg.ClientBase) {
    this.#db = db;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#db.query<{ level: number; index: string; hash: Buffer }>(
      `SELECT n.level, n.index::text, n.hash FROM audit_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, index) USING (level, index)`,
      [ids.map((id) => id.level), ids.map((id) => id.index)],
    );
    const found = new Map(rows.map((row) => [`${row.level}/${row.index}`, row.hash]));
    return ids.map((id) => {
      const hash = found.get(`${id.level}/${id.index}`);
      if (!hash) throw new Error(`audit tree node level ${id.level} index ${id.index} is not stored`);
      return hash;
    });
  }
}

type Nodes = { level: number[]; index: number[]; hash: Buffer[] };

function nodeCollector(): { nodes: Nodes; sink: (level: number, index: number, hash: Buffer) => void } {
  const nodes: Nodes = { level: [], index: [], hash: [] };
  return {
    nodes,
    sink: (level, index, hash) => {
      if (level % AUDIT_LEVEL_STRIDE !== 0) return;
      nodes.level.push(level);
      nodes.index.push(index);
      nodes.hash.push(hash);
    },
  };
}

async function saveNodes(client: pg.ClientBase, nodes: Nodes): Promise<void> {
  if (nodes.level.length === 0) return;
  await client.query(
    `INSERT INTO audit_nodes (level, index, hash)
     SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
    [nodes.level, nodes.index, nodes.hash],
  );
}

type GlobalState = { position: string; tree: TreeState };

async function loadGlobalState(client: pg.ClientBase): Promise<GlobalState> {
  const { rows } = await client.query<{ position: string; size: string; frontier: Buffer[] }>(
    'SELECT position, size::text, frontier FROM audit_log_state',
  );
  const row = rows[0];
  return row
    ? { position: row.position, tree: { size: Number(row.size), frontier: row.frontier } }
    : { position: '0', tree: { size: 0, frontier: [] } };
}

async function saveGlobalState(client: pg.ClientBase, position: string, tree: TreeState): Promise<void> {
  await client.query(
    `INSERT INTO audit_log_state (id, position, size, frontier) VALUES (true, $1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET position = $1, size = $2, frontier = $3`,
    [position, tree.size, tree.frontier],
  );
}

async function loadRoomTrees(client: pg.ClientBase, roomIds?: readonly string[]) {
  const { rows } = await client.query<{ room_id: string; size: number; frontier: Buffer[] }>(
    roomIds
      ? 'SELECT room_id, size, frontier FROM audit_room_trees WHERE room_id = ANY($1)'
      : 'SELECT room_id, size, frontier FROM audit_room_trees',
    roomIds ? [roomIds] : [],
  );
  return new Map<string, TreeState>(
    rows.map((row) => [row.room_id, { size: row.size, frontier: row.frontier }]),
  );
}

// one statement for every room a page touched (a page of 2,000 events touches up to 2,000 rooms): the
// frontiers go as JSON, each a list of base64 hashes, since arrays of unequal length do not unnest
const SAVE_ROOM_TREES = `INSERT INTO audit_room_trees (room_id, size, frontier)
  SELECT r.room_id, r.size,
         ARRAY(SELECT decode(h.hash, 'base64') FROM jsonb_array_elements_text(r.frontier) WITH ORDINALITY AS h(hash, n) ORDER BY h.n)
  FROM jsonb_to_recordset($1::jsonb) AS r(room_id text, size int, frontier jsonb)
  ON CONFLICT (room_id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier`;

async function saveRoomTrees(
  client: pg.ClientBase,
  roomIds: readonly string[],
  rooms: ReadonlyMap<string, TreeState>,
): Promise<void> {
  if (roomIds.length === 0) return;
  const rows = roomIds.map((roomId) => {
    const room = rooms.get(roomId)!;
    return { room_id: roomId, size: room.size, frontier: room.frontier.map(encodeBase64) };
  });
  await client.query(SAVE_ROOM_TREES, [JSON.stringify(rows)]);
}

/** Runs `work` in a transaction holding the sequencer's lock: one writer of the log at a time. */
async function asSequencer<T>(pool: pg.Pool, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SEQUENCER_LOCK]);
    return work(client);
  });
}

/**
 * Sequences one page of the events after the log's position; answers how many. The events are read
 * after the lock is taken, so two sequencers never give one event two leaves.
 */
async function sequencePage(pool: pg.Pool, store: EventStore): Promise<number> {
  return asSequencer(pool, async (client) => {
    const global = await loadGlobalState(client);
    const events = await store.readAll({
      ...(global.position === '0' ? {} : { fromPosition: decodePosition(global.position) }),
      limit: PAGE,
    });
    if (events.length === 0) return 0;
    const roomIds = [...new Set(events.map((e) => e.metadata.roomId).filter((id) => id !== undefined))];
    const rooms = await loadRoomTrees(client, roomIds);
    const { nodes, sink } = nodeCollector();
    const log = new AuditLog({ state: { global: global.tree, rooms }, onNode: sink });
    const leaves = {
      index: [] as number[],
      position: [] as string[],
      eventId: [] as string[],
      roomId: [] as (string | null)[],
      roomIndex: [] as (number | null)[],
      secret: [] as Buffer[],
      commitments: [] as string[],
    };
    // one draw for the page: randomBytes(32) costs about 2 µs a call, 64 KiB in one call about 20 µs
    const secrets = randomBytes(EVENT_SECRET_BYTES * events.length);
    for (const [k, event] of events.entries()) {
      const secret = secrets.subarray(k * EVENT_SECRET_BYTES, (k + 1) * EVENT_SECRET_BYTES);
      const appended = log.appendEvent(event, secret);
      leaves.index.push(appended.leafIndex);
      leaves.position.push(encodePosition(event.position));
      leaves.eventId.push(event.id);
      leaves.roomId.push(appended.roomId);
      leaves.roomIndex.push(appended.roomIndex);
      leaves.secret.push(secret);
      leaves.commitments.push(JSON.stringify(appended.commitments));
    }
    await client.query(
      `INSERT INTO audit_leaves (leaf_index, position, event_id, room_id, room_index, secret, commitments)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bytea[], $7::jsonb[])`,
      [
        leaves.index,
        leaves.position,
        leaves.eventId,
        leaves.roomId,
        leaves.roomIndex,
        leaves.secret,
        leaves.commitments,
      ],
    );
    await saveNodes(client, nodes);
    const state = log.state();
    await saveRoomTrees(client, roomIds, state.rooms);
    await saveGlobalState(client, encodePosition(events.at(-1)!.position), state.global);
    return events.length;
  });
}

/** Sequences every event the store shows; `onProgress` after each page with the events so far. */
export async function sequenceAuditLog(
  pool: pg.Pool,
  store: EventStore,
  onProgress?: (events: number) => void,
): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await sequencePage(pool, store);
    total += done;
    if (done > 0) onProgress?.(total);
    if (done < PAGE) return total;
  }
}

export type StoredCheckpoint = { size: number; note: string; roomHeads: RoomHead[] };

function checkpointOf(row: {
  size: string;
  note: string;
  room_heads: { roomId: string; size: number; root: string }[];
}) {
  return {
    size: Number(row.size),
    note: row.note,
    roomHeads: row.room_heads.map((h) => ({
      roomId: h.roomId,
      size: h.size,
      root: decodeBase64Strict(h.root)!,
    })),
  };
}

/**
 * A signed checkpoint of everything sequenced: the latest one when nothing was sequenced since, else a
 * new one (its room heads leaf appended, then signed).
 */
export async function checkpointAuditLog(pool: pg.Pool, signer: NoteSigner): Promise<StoredCheckpoint> {
  return asSequencer(pool, async (client) => {
    const global = await loadGlobalState(client);
    const latest = await client.query(
      'SELECT size::text, note, room_heads FROM audit_checkpoints ORDER BY size DESC LIMIT 1',
    );
    if (latest.rows[0] && Number(latest.rows[0].size) === global.tree.size)
      return checkpointOf(latest.rows[0]);
    if (global.tree.size === 0) throw new Error('the audit log is empty: there is nothing to sign');
    const rooms = await loadRoomTrees(client);
    const { nodes, sink } = nodeCollector();
    const log = new AuditLog({ state: { global: global.tree, rooms }, onNode: sink });
    const signed: SignedCheckpoint = log.checkpoint(signer.name, signer);
    await saveNodes(client, nodes);
    await saveGlobalState(client, global.position, log.state().global);
    const roomHeads = signed.roomHeads.map((h) => ({
      roomId: h.roomId,
      size: h.size,
      root: encodeBase64(h.root),
    }));
    await client.query('INSERT INTO audit_checkpoints (size, note, room_heads) VALUES ($1, $2, $3)', [
      signed.checkpoint.size,
      signed.note,
      JSON.stringify(roomHeads),
    ]);
    return { size: signed.checkpoint.size, note: signed.note, roomHeads: [...signed.roomHeads] };
  });
}

/** the sizes of the checkpoints before `size`, newest first (the consistency proofs an export carries) */
export async function earlierCheckpointSizes(pool: pg.Pool, size: number, limit = 32): Promise<number[]> {
  const { rows } = await pool.query<{ size: string }>(
    'SELECT size::text FROM audit_checkpoints WHERE size < $1 ORDER BY size DESC LIMIT $2',
    [size, limit],
  );
  return rows.map((row) => Number(row.size));
}

/** What the log stored for these events (by position); an event not sequenced yet is missing. */
export async function storedLeaves(
  pool: pg.Pool,
  events: readonly RecordedEvent[],
): Promise<Map<string, StoredLeaf>> {
  const { rows } = await pool.query<{
    position: string;
    leaf_index: string;
    room_index: number | null;
    secret: Buffer | null;
    commitments: Record<string, string>;
  }>(
    'SELECT position, leaf_index::text, room_index, secret, commitments FROM audit_leaves WHERE position = ANY($1)',
    [events.map((event) => encodePosition(event.position))],
  );
  return new Map(
    rows.map((row) => [
      row.position,
      {
        leafIndex: Number(row.leaf_index),
        roomIndex: row.room_index,
        secret: row.secret,
        commitments: row.commitments,
      },
    ]),
  );
}

/**
 * Each room's leaf hashes in room order, of the leaves before `size`: what the export writer builds the
 * rooms' trees from. One row a room (its hashes concatenated), one scan of the leaves.
 */
export async function roomLeafHashes(
  pool: pg.Pool,
  roomIds: readonly string[],
  size: number,
): Promise<Map<string, Buffer>> {
  const { rows } = await pool.query<{ room_id: string; hashes: Buffer }>(
    `SELECT l.room_id, string_agg(n.hash, ''::bytea ORDER BY l.room_index) AS hashes
     FROM audit_leaves l JOIN audit_nodes n ON n.level = 0 AND n.index = l.leaf_index
     WHERE l.room_id = ANY($1) AND l.leaf_index < $2
     GROUP BY l.room_id`,
    [roomIds, size],
  );
  return new Map(rows.map((row) => [row.room_id, row.hashes]));
}
