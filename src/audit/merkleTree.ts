// RFC 9162 §2.1.1 Merkle tree hashing (SHA-256, leaf prefix 0x00, node prefix 0x01) and a streaming
// builder that appends leaves one at a time keeping O(log n) state. Tree sizes and indices are JS numbers
// (safe up to 2^53); no bitwise operators on them, which would truncate to 32 bits.
import { hash } from 'node:crypto';

export const HASH_BYTES = 32;

/** MTH({}): the hash of the empty string */
export const EMPTY_TREE_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer');

const NODE_PREFIX = 0x01;
// One scratch buffer for node hashing: every call is synchronous, so it is never shared across calls.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = NODE_PREFIX;

// node's hash() is about three times slower with a 'buffer' digest than with a string one (0.75 µs against
// 0.25 µs a call for a node here), so digests come out as latin1 ('binary') text and are copied into a Buffer
export function sha256(data: Uint8Array | string): Buffer {
  return Buffer.from(hash('sha256', data, 'binary'), 'latin1');
}

export function hashLeaf(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(hashLeafText(data, 'binary'), 'latin1');
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = 0x00;
  input.set(data, 1);
  return sha256(input);
}

// scratch input for leaf hashing of text: every use is synchronous
let leafInput = Buffer.alloc(4096);

/** the leaf hash of a text (UTF-8) as base64 (the verifier's form) or latin1, with no Buffer made per leaf */
export function hashLeafText(text: string, encoding: 'base64' | 'binary' = 'base64'): string {
  const room = 1 + 3 * text.length;
  if (leafInput.length < room) leafInput = Buffer.alloc(Math.max(room, 2 * leafInput.length));
  leafInput[0] = 0x00;
  const length = 1 + leafInput.write(text, 1, 'utf8');
  return hash('sha256', leafInput.subarray(0, length), encoding);
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return sha256(nodeInput);
}

/** the largest power of two strictly below n (n >= 2): RFC 9162's k */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** A complete subtree: level ℓ, index i covers leaves [i·2^ℓ, (i+1)·2^ℓ). Level 0 are the leaf hashes. */
export type NodeId = { readonly level: number; readonly index: number };

/** Called for every complete subtree the builder finishes, leaves included, in the order they complete. */
export type NodeSink = (level: number, index: number, hash: Buffer) => void;

/** What a builder needs to resume: the roots of the perfect subtrees that make up the tree, left to right. */
export type TreeState = { readonly size: number; readonly frontier: readonly Buffer[] };

export class TreeBuilder {
  #size: number;
  readonly #frontier: Buffer[];

  constructor(state: TreeState = { size: 0, frontier: [] }) {
    if (!Number.isSafeInteger(state.size) || state.size < 0) throw new RangeError('bad tree size');
    if (state.frontier.length !== popCount(state.size)) {
      throw new RangeError(`a tree of ${state.size} leaves has ${popCount(state.size)} frontier hashes`);
    }
    this.#size = state.size;
    this.#frontier = [...state.frontier];
  }

  get size(): number {
    return this.#size;
  }

  /** appends one leaf hash; returns its leaf index */
  append(leafHash: Buffer, onNode?: NodeSink): number {
    const leafIndex = this.#size;
    let node = leafHash;
    let level = 0;
    let index = leafIndex;
    onNode?.(0, index, node);
    let carry = leafIndex;
    while (carry % 2 === 1) {
      node = hashChildren(this.#frontier.pop()!, node);
      level += 1;
      index = Math.floor(index / 2);
      carry = Math.floor(carry / 2);
      onNode?.(level, index, node);
    }
    this.#frontier.push(node);
    this.#size = leafIndex + 1;
    return leafIndex;
  }

  root(): Buffer {
    const frontier = this.#frontier;
    if (frontier.length === 0) return EMPTY_TREE_ROOT;
    let root = frontier[frontier.length - 1]!;
    for (let i = frontier.length - 2; i >= 0; i--) root = hashChildren(frontier[i]!, root);
    return root;
  }

  state(): TreeState {
    return { size: this.#size, frontier: [...this.#frontier] };
  }
}

function popCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
