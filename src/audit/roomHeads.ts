// Per-room completeness. Each room has its own RFC 9162 tree whose leaves are that room's event leaves in
// global order. At every checkpoint the log appends one "room heads" leaf: the root of a tree over every
// room's head (room id, size, root), sorted by room id. The checkpoint signs the global tree, so it signs
// the room heads as of its size, and a room export proves it holds all of a room's events by rebuilding
// the room's tree from them (docs/audit.md).
import { encodeBase64 } from './base64.ts';
import { canonicalJson } from './canonicalJson.ts';
import { MemoryHashStore } from './hashStore.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';

export type RoomHead = { readonly roomId: string; readonly size: number; readonly root: Buffer };

export function roomHeadEntryBytes(head: RoomHead): string {
  return canonicalJson({
    v: 1,
    kind: 'roomHead',
    roomId: head.roomId,
    size: head.size,
    root: encodeBase64(head.root),
  });
}

/** the global leaf that commits to all room heads of the log's first `treeSize` leaves */
export type RoomHeadsLeaf = { readonly treeSize: number; readonly rooms: number; readonly root: Buffer };

export function roomHeadsLeafBytes(leaf: RoomHeadsLeaf): string {
  return canonicalJson({
    v: 1,
    kind: 'roomHeads',
    treeSize: leaf.treeSize,
    rooms: leaf.rooms,
    root: encodeBase64(leaf.root),
  });
}

/** The tree over all room heads at one checkpoint; room ids in ascending UTF-16 code unit order. */
export class RoomHeadsTree {
  readonly heads: readonly RoomHead[];
  readonly root: Buffer;
  readonly #store = new MemoryHashStore(1);

  constructor(heads: readonly RoomHead[]) {
    const builder = new TreeBuilder();
    heads.forEach((head, i) => {
      if (i > 0 && !(heads[i - 1]!.roomId < head.roomId)) {
        throw new RangeError(`room heads must be sorted by room id, once each (${head.roomId})`);
      }
      builder.append(hashLeaf(roomHeadEntryBytes(head)), this.#store.sink);
    });
    this.heads = heads;
    this.root = builder.root();
  }

  indexOf(roomId: string): number {
    let lo = 0;
    let hi = this.heads.length - 1;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const id = this.heads[mid]!.roomId;
      if (id === roomId) return mid;
      if (id < roomId) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  async proof(index: number): Promise<Buffer[]> {
    const [proof] = await new ProofGenerator(this.#store, this.heads.length).inclusionProofs([index]);
    return proof!.proof;
  }
}
