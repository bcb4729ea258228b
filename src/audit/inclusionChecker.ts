// Checks many inclusion proofs against one tree head, as RFC 9162 §2.1.3.2 does, without redoing the
// hashing two proofs share. Each step of the algorithm yields the hash of one node (level, fn) of the tree;
// once a proof reaches a node the previous verified proof also reached, with the same hash, the rest of the
// computation is the previous one's: the remaining proof elements must then be the previous proof's, and
// are compared as text instead of hashed. Leaves in ascending order share most of their paths, so an
// export of dense events costs about one hash per event instead of log2(size).
import { decodeHashStrict } from './base64.ts';
import { hashChildren } from './merkleTree.ts';

const MAX_PROOF_LENGTH = 64;

type Path = { levels: number[]; fns: number[]; nodes: Buffer[]; proof: readonly string[] };

export class InclusionChecker {
  readonly treeSize: number;
  readonly #root: Buffer;
  #previous: Path | null = null;
  readonly #stepAtLevel = new Int32Array(MAX_PROOF_LENGTH + 1).fill(-1);

  constructor(treeSize: number, root: Buffer) {
    this.treeSize = treeSize;
    this.#root = root;
  }

  /** null when the proof shows leafHash at leafIndex in the tree, otherwise why not */
  check(leafIndex: number, leafHash: Buffer, proof: readonly unknown[]): string | null {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.treeSize) {
      return `leaf index ${leafIndex} is not in a tree of ${this.treeSize} leaves`;
    }
    if (!Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH)
      return 'the inclusion proof is not a list of hashes';
    const previous = this.#previous;
    const levels: number[] = [];
    const fns: number[] = [];
    const nodes: Buffer[] = [];
    let fn = leafIndex;
    let sn = this.treeSize - 1;
    let level = 0;
    let r = leafHash;
    for (let s = 0; s < proof.length; s++) {
      const text = proof[s];
      const p = typeof text === 'string' ? decodeHashStrict(text) : null;
      if (p === null) return `inclusion proof element ${s} is not a base64 hash`;
      if (sn === 0) return 'the inclusion proof is longer than the tree is deep';
      if (fn % 2 === 1 || fn === sn) {
        r = hashChildren(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn /= 2;
            sn = Math.floor(sn / 2);
            level += 1;
          }
        }
      } else {
        r = hashChildren(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      level += 1;
      levels.push(level);
      fns.push(fn);
      nodes.push(r);
      if (previous !== null && level <= MAX_PROOF_LENGTH) {
        const t = this.#stepAtLevel[level]!;
        if (t >= 0 && previous.fns[t] === fn) {
          if (!previous.nodes[t]!.equals(r))
            return 'the inclusion proof does not lead to the checkpoint root';
          const rest = proof.length - s - 1;
          if (rest !== previous.proof.length - t - 1)
            return 'the inclusion proof does not lead to the checkpoint root';
          for (let u = 1; u <= rest; u++) {
            if (proof[s + u] !== previous.proof[t + u])
              return 'the inclusion proof does not lead to the checkpoint root';
          }
          this.#remember({
            levels: [...levels, ...previous.levels.slice(t + 1)],
            fns: [...fns, ...previous.fns.slice(t + 1)],
            nodes: [...nodes, ...previous.nodes.slice(t + 1)],
            proof: proof as string[],
          });
          return null;
        }
      }
    }
    if (sn !== 0) return 'the inclusion proof is shorter than the tree is deep';
    if (!r.equals(this.#root)) return 'the inclusion proof does not lead to the checkpoint root';
    this.#remember({ levels, fns, nodes, proof: proof as string[] });
    return null;
  }

  #remember(path: Path): void {
    if (this.#previous !== null) for (const level of this.#previous.levels) this.#stepAtLevel[level] = -1;
    path.levels.forEach((level, step) => {
      this.#stepAtLevel[level] = step;
    });
    this.#previous = path;
  }
}
