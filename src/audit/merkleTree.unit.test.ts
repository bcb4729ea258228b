import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyConsistency } from './consistencyProof.ts';
import vectors from './fixtures/merkleVectors.json' with { type: 'json' };
import { MemoryHashStore } from './hashStore.ts';
import { rootFromInclusionProof, verifyInclusion } from './inclusionProof.ts';
import { EMPTY_TREE_ROOT, hashLeaf, TreeBuilder } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';

const hex = (h: string) => Buffer.from(h, 'hex');
const leafData = vectors.leaves.map(hex);

// A second implementation, written straight from RFC 9162's recursive definitions with its own hashing.
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const naiveLeaf = (d: Buffer) => sha(Buffer.from([0]), d);
function naiveK(n: number) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function naiveMth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return naiveLeaf(d[0]!);
  const k = naiveK(d.length);
  return sha(Buffer.from([1]), naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}
function naivePath(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = naiveK(d.length);
  return m < k
    ? [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))]
    : [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}
function naiveSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [naiveMth(d)];
  const k = naiveK(d.length);
  return m <= k
    ? [...naiveSubproof(m, d.slice(0, k), b), naiveMth(d.slice(k))]
    : [...naiveSubproof(m - k, d.slice(k), false), naiveMth(d.slice(0, k))];
}

function buildTree(data: Buffer[], stride: number) {
  const store = new MemoryHashStore(stride);
  const builder = new TreeBuilder();
  const roots: Buffer[] = [];
  for (const d of data) {
    builder.append(hashLeaf(d), store.sink);
    roots.push(builder.root());
  }
  return { store, builder, roots };
}

const manyLeaves = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf ${i}`));

describe('RFC 9162 tree hashing', () => {
  it('gives the published root at every size of the 8-leaf test tree, and SHA-256("") when empty', () => {
    expect(new TreeBuilder().root().toString('hex')).toBe(vectors.emptyRoot);
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe(vectors.emptyRoot);
    const { roots } = buildTree(leafData, 1);
    expect(roots.map((r) => r.toString('hex'))).toEqual(vectors.roots);
  });

  it('agrees with the recursive definition at every size up to 70, and resumes from its saved state', () => {
    const builder = new TreeBuilder();
    for (let n = 0; n < manyLeaves.length; n++) {
      expect(builder.root()).toEqual(naiveMth(manyLeaves.slice(0, n)));
      const resumed = new TreeBuilder(builder.state());
      resumed.append(hashLeaf(manyLeaves[n]!));
      builder.append(hashLeaf(manyLeaves[n]!));
      expect(resumed.root()).toEqual(builder.root());
    }
  });

  it('refuses a saved state whose frontier does not fit its size', () => {
    expect(() => new TreeBuilder({ size: 3, frontier: [EMPTY_TREE_ROOT] })).toThrow(/frontier/);
  });
});

describe('inclusion proofs', () => {
  it('generates and verifies the published proofs', async () => {
    const { store } = buildTree(leafData, 1);
    for (const v of vectors.inclusion) {
      const generator = new ProofGenerator(store, v.treeSize);
      const [generated] = await generator.inclusionProofs([v.leafIndex]);
      expect(generated!.proof.map((p) => p.toString('hex'))).toEqual(v.proof);
      const root = hex(vectors.roots[v.treeSize - 1]!);
      expect(
        verifyInclusion(v.leafIndex, v.treeSize, hashLeaf(leafData[v.leafIndex]!), v.proof.map(hex), root),
      ).toBe(true);
    }
  });

  it.each([1, 3, 4])(
    'matches the recursive PATH for every leaf of every size up to 70 (stored level stride %i)',
    async (stride) => {
      const { store, roots } = buildTree(manyLeaves, stride);
      for (let n = 1; n <= manyLeaves.length; n++) {
        const generator = new ProofGenerator(store, n);
        const indices = Array.from({ length: n }, (_, i) => i);
        const proofs = await generator.inclusionProofs(indices);
        for (const p of proofs) {
          expect(p.leafHash).toEqual(naiveLeaf(manyLeaves[p.leafIndex]!));
          expect(p.proof).toEqual(naivePath(p.leafIndex, manyLeaves.slice(0, n)));
          expect(verifyInclusion(p.leafIndex, n, p.leafHash, p.proof, roots[n - 1]!)).toBe(true);
        }
        expect(await generator.root()).toEqual(roots[n - 1]);
      }
    },
  );

  it('rejects every corruption of a valid proof (index, size, leaf, root, elements)', () => {
    const n = 37;
    const data = manyLeaves.slice(0, n);
    const root = naiveMth(data);
    const other = naiveLeaf(Buffer.from('other'));
    for (const m of [0, 1, 17, 31, 32, 36]) {
      const leaf = naiveLeaf(data[m]!);
      const proof = naivePath(m, data);
      expect(verifyInclusion(m, n, leaf, proof, root)).toBe(true);
      const probes: [number, number, Buffer, Buffer[], Buffer][] = [
        [m - 1, n, leaf, proof, root],
        [m + 1, n, leaf, proof, root],
        [m ^ 2, n, leaf, proof, root],
        [m, n * 2, leaf, proof, root],
        [m, Math.floor(n / 2), leaf, proof, root],
        [m, n, other, proof, root],
        [m, n, leaf, proof, other],
        [m, n, leaf, [...proof, root], root],
        [m, n, leaf, [root, ...proof], root],
        [m, n, leaf, proof.slice(0, -1), root],
        [m, n, leaf, [...proof, Buffer.alloc(0)], root],
      ];
      for (let i = 0; i < proof.length; i++) {
        const flipped = proof.map((p) => Buffer.from(p));
        flipped[i]![0]! ^= 8;
        probes.push([m, n, leaf, flipped, root]);
      }
      for (const [index, size, l, p, r] of probes) expect(verifyInclusion(index, size, l, p, r)).toBe(false);
    }
    expect(rootFromInclusionProof(0, 0, naiveLeaf(Buffer.from('x')), [])).toBeNull();
  });
});

describe('consistency proofs', () => {
  it('generates and verifies the published proofs', async () => {
    const { store } = buildTree(leafData, 1);
    for (const v of vectors.consistency) {
      const generator = new ProofGenerator(store, v.size2);
      const proof = await generator.consistencyProof(v.size1);
      expect(proof.map((p) => p.toString('hex'))).toEqual(v.proof);
      const root1 = hex(vectors.roots[v.size1 - 1]!);
      const root2 = hex(vectors.roots[v.size2 - 1]!);
      expect(verifyConsistency(v.size1, v.size2, root1, root2, v.proof.map(hex))).toBe(true);
    }
  });

  it.each([1, 2, 4])(
    'matches the recursive PROOF for every pair of sizes up to 70 (stride %i)',
    async (stride) => {
      const { store, roots } = buildTree(manyLeaves, stride);
      for (let n = 1; n <= manyLeaves.length; n++) {
        const generator = new ProofGenerator(store, n);
        for (let m = 1; m <= n; m++) {
          const proof = await generator.consistencyProof(m);
          expect(proof).toEqual(m === n ? [] : naiveSubproof(m, manyLeaves.slice(0, n), true));
          expect(verifyConsistency(m, n, roots[m - 1]!, roots[n - 1]!, proof)).toBe(true);
        }
      }
    },
  );

  it('rejects a rewritten history and every corruption of a valid proof', () => {
    const data = manyLeaves.slice(0, 45);
    const rewritten = [...data];
    rewritten[3] = Buffer.from('rewritten');
    for (const [m, n] of [
      [7, 45],
      [16, 45],
      [1, 45],
      [44, 45],
    ] as const) {
      const root1 = naiveMth(data.slice(0, m));
      const root2 = naiveMth(data.slice(0, n));
      const proof = naiveSubproof(m, data.slice(0, n), true);
      expect(verifyConsistency(m, n, root1, root2, proof)).toBe(true);
      // the newer tree's own proof cannot connect it to an older root it does not extend
      const forgedProof = naiveSubproof(m, rewritten.slice(0, n), true);
      expect(verifyConsistency(m, n, root1, naiveMth(rewritten.slice(0, n)), forgedProof)).toBe(m <= 3);
      const probes: [number, number, Buffer, Buffer, Buffer[]][] = [
        [m - 1, n, root1, root2, proof],
        [m + 1, n, root1, root2, proof],
        [m ^ 2, n, root1, root2, proof],
        [m, n * 2, root1, root2, proof],
        [m, n, root2, root1, proof],
        [m, n, root1, root2, []],
        [m, n, root1, root2, [...proof, root1]],
        [m, n, root1, root2, [root1, ...proof]],
        [m, n, root1, root2, proof.slice(0, -1)],
      ];
      for (let i = 0; i < proof.length; i++) {
        const flipped = proof.map((p) => Buffer.from(p));
        flipped[i]![0]! ^= 16;
        probes.push([m, n, root1, root2, flipped]);
      }
      for (const [s1, s2, r1, r2, p] of probes) expect(verifyConsistency(s1, s2, r1, r2, p)).toBe(false);
    }
  });

  it('treats the empty tree and equal sizes as RFC 9162 does', () => {
    const root = naiveMth(manyLeaves.slice(0, 3));
    expect(verifyConsistency(0, 3, EMPTY_TREE_ROOT, root, [])).toBe(true);
    expect(verifyConsistency(3, 3, root, root, [])).toBe(true);
    expect(verifyConsistency(3, 3, root, EMPTY_TREE_ROOT, [])).toBe(false);
    expect(verifyConsistency(3, 3, root, root, [root])).toBe(false);
    expect(verifyConsistency(4, 3, root, root, [])).toBe(false);
  });
});
