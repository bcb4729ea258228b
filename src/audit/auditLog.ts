// The sequencer's core: turns events, in global order, into leaves of the global tree and of their room's
// tree, and makes signed checkpoints. Pure and in memory; the app persists what the hooks hand it
// (docs/audit.md: what the database keeps, and when).

import type { RecordedEvent } from '../eventstore/eventStore.ts';
import { type Checkpoint, signCheckpoint } from './checkpoint.ts';
import { auditEventOf, roomIdOf, type StoredLeaf, sequenceEvent } from './leaf.ts';
import { hashLeaf, type NodeSink, TreeBuilder, type TreeState } from './merkleTree.ts';
import { type RoomHead, RoomHeadsTree, roomHeadsLeafBytes } from './roomHeads.ts';
import type { NoteSigner } from './signedNote.ts';

export type AuditLogState = {
  readonly global: TreeState;
  readonly rooms: ReadonlyMap<string, TreeState>;
};

export type AppendedEvent = StoredLeaf & { readonly roomId: string | null; readonly leafHash: Buffer };

export type SignedCheckpoint = {
  readonly checkpoint: Checkpoint;
  readonly note: string;
  /** every room's head at the checkpoint, sorted: what its room heads leaf commits to */
  readonly roomHeads: readonly RoomHead[];
};

export class AuditLog {
  readonly #global: TreeBuilder;
  readonly #rooms = new Map<string, TreeBuilder>();
  readonly #onNode: NodeSink | undefined;

  /** onNode receives every complete node of the global tree (for a HashStore) */
  constructor(options: { state?: AuditLogState; onNode?: NodeSink } = {}) {
    this.#global = new TreeBuilder(options.state?.global);
    for (const [roomId, state] of options.state?.rooms ?? []) this.#rooms.set(roomId, new TreeBuilder(state));
    this.#onNode = options.onNode;
  }

  get size(): number {
    return this.#global.size;
  }

  /** appends an event (its text all there) with a fresh 32-byte random secret */
  appendEvent(recorded: RecordedEvent, secret: Uint8Array): AppendedEvent {
    const event = auditEventOf(recorded);
    const roomId = roomIdOf(event);
    let room: TreeBuilder | undefined;
    if (roomId !== null) {
      room = this.#rooms.get(roomId);
      if (room === undefined) {
        room = new TreeBuilder();
        this.#rooms.set(roomId, room);
      }
    }
    const sequenced = sequenceEvent(event, room?.size ?? null, secret);
    const leafIndex = this.#global.append(sequenced.leafHash, this.#onNode);
    room?.append(sequenced.leafHash);
    return {
      leafIndex,
      roomId,
      roomIndex: sequenced.leaf.roomIndex,
      secret,
      commitments: sequenced.commitments,
      leafHash: sequenced.leafHash,
    };
  }

  roomHeads(): RoomHead[] {
    return [...this.#rooms]
      .map(([roomId, tree]) => ({ roomId, size: tree.size, root: tree.root() }))
      .sort((a, b) => (a.roomId < b.roomId ? -1 : 1));
  }

  /** appends the room heads leaf, then signs the tree that ends with it */
  checkpoint(origin: string, signer: NoteSigner): SignedCheckpoint {
    const roomHeads = this.roomHeads();
    const heads = new RoomHeadsTree(roomHeads);
    const leaf = { treeSize: this.#global.size, rooms: roomHeads.length, root: heads.root };
    this.#global.append(hashLeaf(roomHeadsLeafBytes(leaf)), this.#onNode);
    const checkpoint = { origin, size: this.#global.size, rootHash: this.#global.root() };
    return { checkpoint, note: signCheckpoint(checkpoint, signer), roomHeads };
  }

  state(): AuditLogState {
    return {
      global: this.#global.state(),
      rooms: new Map([...this.#rooms].map(([roomId, tree]) => [roomId, tree.state()])),
    };
  }
}
