import { describe, expect, it } from 'vitest';
import { MemoryHashStore } from './hashStore.ts';
import { InclusionChecker } from './inclusionChecker.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';

async function treeOf(n: number) {
  const store = new MemoryHashStore(1);
  const builder = new TreeBuilder();
  for (let i = 0; i < n; i++) builder.append(hashLeaf(`leaf ${i}`), store.sink);
  const proofs = await new ProofGenerator(store, n).inclusionProofs(Array.from({ length: n }, (_, i) => i));
  return {
    root: builder.root(),
    proofs: proofs.map((p) => ({ ...p, text: p.proof.map((h) => h.toString('base64')) })),
  };
}

describe('InclusionChecker', () => {
  it('accepts every leaf of a tree in order, sparse or dense, and at the ragged right edge', async () => {
    const n = 203;
    const { root, proofs } = await treeOf(n);
    for (const step of [1, 2, 7, 50]) {
      const checker = new InclusionChecker(n, root);
      for (let i = 0; i < n; i += step)
        expect(checker.check(i, proofs[i]!.leafHash, proofs[i]!.text)).toBeNull();
    }
  });

  it('refuses a changed element anywhere in a proof, including above the node it shares with the last one', async () => {
    const n = 203;
    const { root, proofs } = await treeOf(n);
    for (const [previous, leaf] of [
      [10, 11],
      [64, 65],
      [100, 131],
      [199, 202],
    ] as const) {
      for (let e = 0; e < proofs[leaf]!.text.length; e++) {
        const checker = new InclusionChecker(n, root);
        expect(checker.check(previous, proofs[previous]!.leafHash, proofs[previous]!.text)).toBeNull();
        const bytes = Buffer.from(proofs[leaf]!.proof[e]!);
        bytes[5]! ^= 1;
        const changed = proofs[leaf]!.text.map((t, k) => (k === e ? bytes.toString('base64') : t));
        expect(
          checker.check(leaf, proofs[leaf]!.leafHash, changed),
          `${previous}→${leaf} element ${e}`,
        ).not.toBeNull();
        // the checker is not left in a state where the real proof fails afterwards
        expect(checker.check(leaf, proofs[leaf]!.leafHash, proofs[leaf]!.text)).toBeNull();
      }
    }
  });

  it('refuses a leaf at the wrong index, a wrong leaf, and a proof cut short or made longer', async () => {
    const n = 40;
    const { root, proofs } = await treeOf(n);
    const checker = new InclusionChecker(n, root);
    expect(checker.check(3, proofs[3]!.leafHash, proofs[3]!.text)).toBeNull();
    expect(checker.check(5, proofs[4]!.leafHash, proofs[4]!.text)).not.toBeNull();
    expect(checker.check(4, hashLeaf('other'), proofs[4]!.text)).not.toBeNull();
    expect(checker.check(4, proofs[4]!.leafHash, proofs[4]!.text.slice(0, -1))).not.toBeNull();
    expect(checker.check(4, proofs[4]!.leafHash, [...proofs[4]!.text, proofs[4]!.text[0]!])).not.toBeNull();
    expect(checker.check(40, proofs[4]!.leafHash, proofs[4]!.text)).toMatch(/not in a tree of 40/);
  });
});
