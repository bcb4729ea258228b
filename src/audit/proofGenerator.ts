// RFC 9162 §2.1.3.1 and §2.1.4.1: inclusion and consistency proofs for a tree of a given size, read from
// a HashStore. Every proof element is the hash of a leaf range [a, b); an aligned power-of-two range is
// one complete subtree, any other (the tree's ragged right edge) is split as MTH splits it. A batch of
// proofs first lists the stored nodes it needs, reads them in one call, then hashes with a memo shared by
// the batch: neighbouring leaves share most of their paths, so a dense batch costs O(1) hashes a leaf.
import type { HashStore } from './hashStore.ts';
import { EMPTY_TREE_ROOT, hashChildren, largestPowerOfTwoBelow, type NodeId } from './merkleTree.ts';

type Range = { readonly start: number; readonly end: number };

export type InclusionProof = {
  readonly leafIndex: number;
  readonly leafHash: Buffer;
  readonly proof: Buffer[];
};

export class ProofGenerator {
  readonly #store: HashStore;
  readonly treeSize: number;

  constructor(store: HashStore, treeSize: number) {
    if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError('bad tree size');
    this.#store = store;
    this.treeSize = treeSize;
  }

  /** inclusion proofs (with the stored leaf hash) for these leaves of the tree at treeSize */
  async inclusionProofs(leafIndices: readonly number[]): Promise<InclusionProof[]> {
    const plans = leafIndices.map((leafIndex) => {
      if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.treeSize) {
        throw new RangeError(`leaf ${leafIndex} is not in a tree of size ${this.treeSize}`);
      }
      return { leafIndex, ranges: inclusionRanges(leafIndex, 0, this.treeSize) };
    });
    const hasher = await this.#hasherFor([
      ...plans.map((p) => ({ start: p.leafIndex, end: p.leafIndex + 1 })),
      ...plans.flatMap((p) => p.ranges),
    ]);
    return plans.map((p) => ({
      leafIndex: p.leafIndex,
      leafHash: hasher({ start: p.leafIndex, end: p.leafIndex + 1 }),
      proof: p.ranges.map(hasher),
    }));
  }

  /** a proof that this tree extends the tree of oldSize leaves (empty when oldSize is 0 or treeSize) */
  async consistencyProof(oldSize: number): Promise<Buffer[]> {
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > this.treeSize) {
      throw new RangeError(`size ${oldSize} is not within a tree of size ${this.treeSize}`);
    }
    if (oldSize === 0 || oldSize === this.treeSize) return [];
    const ranges = consistencyRanges(oldSize, 0, this.treeSize, true);
    const hasher = await this.#hasherFor(ranges);
    return ranges.map(hasher);
  }

  /** MTH of the whole tree at treeSize, from the store (a checkpoint's root must equal it) */
  async root(): Promise<Buffer> {
    if (this.treeSize === 0) return EMPTY_TREE_ROOT;
    const whole = { start: 0, end: this.treeSize };
    return (await this.#hasherFor([whole]))(whole);
  }

  async #hasherFor(ranges: readonly Range[]): Promise<(range: Range) => Buffer> {
    const stride = this.#store.levelStride;
    const wanted = new Map<string, NodeId>();
    for (const range of ranges) collectRange(range.start, range.end, stride, wanted);
    const ids = [...wanted.values()];
    const hashes = await this.#store.getNodes(ids);
    const memo = new Map<string, Buffer>();
    ids.forEach((id, i) => {
      memo.set(nodeKey(id.level, id.index), hashes[i]!);
    });
    const node = (level: number, index: number): Buffer => {
      const key = nodeKey(level, index);
      let found = memo.get(key);
      if (found === undefined) {
        found = hashChildren(node(level - 1, 2 * index), node(level - 1, 2 * index + 1));
        memo.set(key, found);
      }
      return found;
    };
    const rangeHash = (start: number, end: number): Buffer => {
      const aligned = alignedLevel(start, end);
      if (aligned !== null) return node(aligned, start / 2 ** aligned);
      const key = `r${start}-${end}`;
      let found = memo.get(key);
      if (found === undefined) {
        const k = largestPowerOfTwoBelow(end - start);
        found = hashChildren(rangeHash(start, start + k), rangeHash(start + k, end));
        memo.set(key, found);
      }
      return found;
    };
    return (range) => rangeHash(range.start, range.end);
  }
}

/** PATH(m, D[start:end]) as ranges, bottom-up (RFC 9162 §2.1.3.1) */
function inclusionRanges(m: number, start: number, end: number): Range[] {
  let lo = start;
  let hi = end;
  const topDown: Range[] = [];
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m < lo + k) {
      topDown.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      topDown.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return topDown.reverse();
}

/** SUBPROOF(m, D[start:end], b) as ranges (RFC 9162 §2.1.4.1) */
function consistencyRanges(m: number, start: number, end: number, complete: boolean): Range[] {
  const n = end - start;
  if (m === n) return complete ? [] : [{ start, end }];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...consistencyRanges(m, start, start + k, complete), { start: start + k, end }];
  return [...consistencyRanges(m - k, start + k, end, false), { start, end: start + k }];
}

/** the level of the complete subtree that is exactly [start, end), or null when there is none */
function alignedLevel(start: number, end: number): number | null {
  const size = end - start;
  let level = 0;
  let width = 1;
  while (width < size) {
    width *= 2;
    level += 1;
  }
  return width === size && start % width === 0 ? level : null;
}

function collectRange(start: number, end: number, stride: number, into: Map<string, NodeId>): void {
  const aligned = alignedLevel(start, end);
  if (aligned !== null) {
    collectNode(aligned, start / 2 ** aligned, stride, into);
    return;
  }
  const k = largestPowerOfTwoBelow(end - start);
  collectRange(start, start + k, stride, into);
  collectRange(start + k, end, stride, into);
}

function collectNode(level: number, index: number, stride: number, into: Map<string, NodeId>): void {
  if (level % stride === 0) {
    into.set(nodeKey(level, index), { level, index });
    return;
  }
  collectNode(level - 1, 2 * index, stride, into);
  collectNode(level - 1, 2 * index + 1, stride, into);
}

function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}
