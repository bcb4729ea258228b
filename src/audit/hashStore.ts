// Where the tree's complete subtree hashes live, so proofs are read, not recomputed from every leaf.
// Only every `levelStride`-th level is stored (level 0, the leaf hashes, always): a node in between is
// recomputed from at most 2^(stride-1) stored nodes below it. Stride 1 stores ~2n hashes for n leaves;
// stride 4 stores ~n·(1 + 1/15). The PostgreSQL layout that fits is in docs/audit.md.
import type { NodeId, NodeSink } from './merkleTree.ts';

export interface HashStore {
  /** stored levels are the multiples of this (1 = every level) */
  readonly levelStride: number;
  /** the hashes of these complete subtrees, in the order asked; one not stored is an error */
  getNodes(ids: readonly NodeId[]): Promise<Buffer[]>;
}

export class MissingTreeNode extends Error {
  constructor(id: NodeId) {
    super(`tree node level ${id.level} index ${id.index} is not stored`);
    this.name = 'MissingTreeNode';
  }
}

/** A HashStore in memory, fed by TreeBuilder.append(leafHash, store.sink). */
export class MemoryHashStore implements HashStore {
  readonly levelStride: number;
  readonly #levels: Buffer[][] = [];

  constructor(levelStride = 1) {
    if (!Number.isInteger(levelStride) || levelStride < 1) throw new RangeError('levelStride must be >= 1');
    this.levelStride = levelStride;
  }

  readonly sink: NodeSink = (level, index, hash) => {
    if (level % this.levelStride !== 0) return;
    let nodes = this.#levels[level];
    if (nodes === undefined) {
      nodes = [];
      this.#levels[level] = nodes;
    }
    nodes[index] = hash;
  };

  get storedNodeCount(): number {
    let count = 0;
    for (const nodes of this.#levels) count += nodes?.length ?? 0;
    return count;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => {
      const hash = this.#levels[id.level]?.[id.index];
      if (hash === undefined) throw new MissingTreeNode(id);
      return hash;
    });
  }
}
