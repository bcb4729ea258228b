import { describe, expect, it } from 'vitest';
import { MemoryHashStore } from './hashStore.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';
import { RoomTree, RoomTreeChecker } from './roomTreeProof.ts';

const leafHashes = (n: number) => Array.from({ length: n }, (_, i) => hashLeaf(`leaf ${i}`));
const b64 = (hash: Buffer) => hash.toString('base64');

function checkAll(tree: RoomTree, root: Buffer, change?: { leaf?: number; proofOf?: number }) {
  const checker = new RoomTreeChecker(tree.size, b64(root));
  for (let i = 0; i < tree.size; i++) {
    let leaf = b64(tree.leafHash(i));
    let proof = tree.lineProof(i);
    if (change?.leaf === i) leaf = b64(hashLeaf('forged'));
    if (change?.proofOf === i) proof = proof.map((p, k) => (k === 0 ? b64(hashLeaf(`other ${p}`)) : p));
    const problem = checker.check(leaf, proof);
    if (problem !== null) return { at: i, problem };
  }
  return null;
}

describe('room tree proofs', () => {
  it('build the RFC 9162 root, and every leaf of every size verifies in order, with about one sibling a line', () => {
    for (let n = 1; n <= 70; n++) {
      const hashes = leafHashes(n);
      const builder = new TreeBuilder();
      for (const h of hashes) builder.append(h);
      const tree = new RoomTree(Buffer.concat(hashes));
      expect(tree.root).toEqual(builder.root());
      expect(checkAll(tree, builder.root())).toBeNull();
      const siblings = hashes.reduce((sum, _, i) => sum + tree.lineProof(i).length, 0);
      expect(siblings).toBe(n - 1);
    }
  });

  it("are a prefix of each leaf's RFC 9162 inclusion proof", async () => {
    const n = 37;
    const store = new MemoryHashStore(1);
    const builder = new TreeBuilder();
    for (const h of leafHashes(n)) builder.append(h, store.sink);
    const tree = new RoomTree(Buffer.concat(leafHashes(n)));
    const proofs = await new ProofGenerator(store, n).inclusionProofs([...Array(n).keys()]);
    for (let i = 0; i < n; i++) {
      const line = tree.lineProof(i);
      expect(proofs[i]!.proof.slice(0, line.length).map(b64)).toEqual(line);
    }
  });

  it('fail on the line of a changed leaf or a changed sibling, and on a leaf too many', () => {
    for (const n of [1, 2, 5, 16, 33]) {
      const hashes = leafHashes(n);
      const tree = new RoomTree(Buffer.concat(hashes));
      for (let i = 0; i < n; i++) {
        expect(checkAll(tree, tree.root, { leaf: i })?.at).toBe(i);
        if (tree.lineProof(i).length > 0) expect(checkAll(tree, tree.root, { proofOf: i })?.at).toBe(i);
      }
      const checker = new RoomTreeChecker(n, b64(tree.root));
      for (let i = 0; i < n; i++) checker.check(b64(tree.leafHash(i)), tree.lineProof(i));
      expect(checker.check(b64(tree.leafHash(0)), [])).toMatch(/one more/);
    }
  });

  it('refuse a root that is not the tree of these leaves, and proofs too short, too long or not hashes', () => {
    const tree = new RoomTree(Buffer.concat(leafHashes(9)));
    expect(checkAll(tree, hashLeaf('another root'))?.at).toBe(0);
    const checker = () => new RoomTreeChecker(9, b64(tree.root));
    const first = tree.lineProof(0);
    expect(checker().check(b64(tree.leafHash(0)), first.slice(1))).toMatch(/shorter/);
    expect(checker().check(b64(tree.leafHash(0)), [...first, first[0]!])).toMatch(/longer/);
    expect(checker().check(b64(tree.leafHash(0)), ['nope', ...first.slice(1)])).toMatch(/not a base64 hash/);
    expect(checker().check(b64(tree.leafHash(0)), 'not a list')).toMatch(/not a list/);
    // a failed line changes nothing: the right one after it still verifies
    const c = checker();
    expect(c.check(b64(hashLeaf('forged')), first)).not.toBeNull();
    expect(c.check(b64(tree.leafHash(0)), first)).toBeNull();
  });
});
