// Proofs that an export holds a room's events, checked as the file streams, at about one hash per event.
//
// A room's tree (RFC 9162, its leaves the room's event leaves in room order) of size S is known to the
// verifier before the events come: its head (size, root) is proven in the signed checkpoint first. Each
// event line then carries only the part of its RFC 9162 inclusion proof that nothing before it gave: the
// right siblings on its path below the first level where its node is a right child (for leaf 0, every
// sibling up to the root). Across a room that is S-1 hashes in all, about one a line.
//
// The verifier climbs from the leaf with those siblings. Leaf 0 reaches the root, which must be the
// signed one; that proves every sibling it used, each the hash of a subtree still to come. Any later leaf
// k reaches, at its first right-child level, the subtree an earlier line claimed there, and must equal
// that claim: the claim is proven, so the leaf is, and so are the siblings it brought. So each line is
// checked against the signed root as it is read, and a changed event or proof fails on its own line.
// The full RFC 9162 proof of leaf k is these siblings, then the left sibling (the verifier's own
// hash of leaves before k), then the rest of leaf k-1's proof.
//
// Levels of a tree of S leaves: level l holds ceil(S / 2^l) nodes; node j of level l+1 hashes nodes 2j
// and 2j+1 of level l, and a last node without a right sibling is carried up unchanged. This is MTH.
import { hash } from 'node:crypto';
import { isHashText } from './base64.ts';
import { HASH_BYTES } from './merkleTree.ts';

const NODE_PREFIX = 0x01;
// scratch input for node hashing: every use is synchronous
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = NODE_PREFIX;

/** The whole tree of one room, from its leaf hashes: what the export writer takes proofs from. */
export class RoomTree {
  readonly size: number;
  /** levels[l]: the nodes of level l, 32 bytes each, one Buffer a level */
  readonly #levels: Buffer[];

  /** leafHashes: the room's leaf hashes in room order, 32 bytes each */
  constructor(leafHashes: Buffer) {
    if (leafHashes.length % HASH_BYTES !== 0 || leafHashes.length === 0)
      throw new RangeError('a room tree needs whole 32-byte leaf hashes, at least one');
    this.size = leafHashes.length / HASH_BYTES;
    this.#levels = [leafHashes];
    let below = leafHashes;
    while (below.length > HASH_BYTES) {
      const count = below.length / HASH_BYTES;
      const level = Buffer.allocUnsafe(Math.ceil(count / 2) * HASH_BYTES);
      for (let j = 0; 2 * j < count; j++) {
        if (2 * j + 1 === count) {
          below.copy(level, j * HASH_BYTES, 2 * j * HASH_BYTES);
          continue;
        }
        below.copy(nodeInput, 1, 2 * j * HASH_BYTES, (2 * j + 2) * HASH_BYTES);
        level.write(hash('sha256', nodeInput, 'binary'), j * HASH_BYTES, 'latin1');
      }
      this.#levels.push(level);
      below = level;
    }
  }

  get root(): Buffer {
    return this.#levels[this.#levels.length - 1]!;
  }

  leafHash(index: number): Buffer {
    return this.#levels[0]!.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /** the siblings leaf `index`'s line carries (see the top of this file), base64 */
  lineProof(index: number): string[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`leaf ${index} is not in a room tree of ${this.size}`);
    const proof: string[] = [];
    let j = index;
    let last = this.size - 1;
    for (let level = 0; last > 0 && j % 2 === 0; level++) {
      if (j < last) {
        const at = (j + 1) * HASH_BYTES;
        proof.push(this.#levels[level]!.toString('base64', at, at + HASH_BYTES));
      }
      j = Math.floor(j / 2);
      last = Math.floor(last / 2);
    }
    return proof;
  }
}

/** Checks a room's leaves in room order against its signed head, one line's proof at a time. */
export class RoomTreeChecker {
  readonly size: number;
  readonly #root: string;
  /** the proven hash of the right sibling claimed at each level, base64 */
  readonly #claims: string[] = [];
  /** the claims a line brings, kept once the line is proven */
  readonly #brought: string[] = [];
  #next = 0;

  /** root: base64 */
  constructor(size: number, root: string) {
    this.size = size;
    this.#root = root;
  }

  /** room index of the leaf expected next (= leaves checked so far) */
  get next(): number {
    return this.#next;
  }

  /** null when leafHash (base64) is the room's leaf `next` by this line's proof, otherwise why not */
  check(leafHash: string, proof: unknown): string | null {
    if (this.#next >= this.size) return `the room has ${this.size} events, this would be one more`;
    if (!Array.isArray(proof) || proof.length > 64) return 'the proof is not a list of hashes';
    let r = leafHash;
    let used = 0;
    const brought = this.#brought;
    brought.length = 0;
    let j = this.#next;
    let last = this.size - 1;
    for (let level = 0; ; level++) {
      if (last === 0) {
        if (r !== this.#root) return "the event and its proof do not lead to the room head's root";
        break;
      }
      if (j % 2 === 1) {
        if (r !== this.#claims[level])
          return 'the event and its proof are not the subtree the lines before it proved';
        break;
      }
      if (j < last) {
        if (used === proof.length) return 'the proof is shorter than the room tree needs';
        const sibling: unknown = proof[used++];
        if (!isHashText(sibling)) return `proof element ${used - 1} is not a base64 hash`;
        nodeInput.write(r, 1, 'base64');
        nodeInput.write(sibling, 1 + HASH_BYTES, 'base64');
        brought[level] = sibling;
        r = hash('sha256', nodeInput, 'base64');
      }
      j = Math.floor(j / 2);
      last = Math.floor(last / 2);
    }
    if (used !== proof.length) return 'the proof is longer than the room tree needs';
    // the levels below where the climb stopped are the ones this line brought siblings for
    for (let level = 0; level < brought.length; level++) {
      if (brought[level] !== undefined) this.#claims[level] = brought[level]!;
    }
    this.#next += 1;
    return null;
  }
}
