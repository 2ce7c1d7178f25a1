import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../shared/embed/random';
import { normalizeInPlace, scanTopK, TopK } from '../../shared/embed/vector-math';
import { isAppError } from '../../shared/errors';
import { Int8Rows, int8ScanModule, int8TopK } from '../../web/src/vectors/int8-scan';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';

const DIM = 384;
const K = 20;

function gaussian(random: Random): number {
  // Box-Muller: clustered data needs a bell, not a box.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Rows drawn uniformly from the cube, normalised: every neighbour is about equally far. */
function uniformRows(n: number, random: Random): Float32Array {
  const data = Float32Array.from({ length: n * DIM }, () => random() - 0.5);
  for (let r = 0; r < n; r += 1) normalizeInPlace(data, r * DIM, DIM);
  return data;
}

/**
 * Rows around `clusters` centres (like embeddings of many exchanges on a few topics), with a spread that varies by
 * cluster: tight clusters put dozens of near-ties around the 20th neighbour, the hard case for quantisation.
 */
function clusteredRows(n: number, clusters: number, random: Random): Float32Array {
  const centres = Float32Array.from({ length: clusters * DIM }, () => gaussian(random));
  for (let c = 0; c < clusters; c += 1) normalizeInPlace(centres, c * DIM, DIM);
  const spread = Array.from({ length: clusters }, () => 0.01 + random() * 0.06);
  const data = new Float32Array(n * DIM);
  for (let r = 0; r < n; r += 1) {
    const c = Math.floor(random() * clusters);
    for (let d = 0; d < DIM; d += 1) data[r * DIM + d] = (centres[c * DIM + d] ?? 0) + gaussian(random) * (spread[c] ?? 0.03);
    normalizeInPlace(data, r * DIM, DIM);
  }
  return data;
}

/** Queries near stored rows (what "more like this" and a question about a stored topic look like). */
function queriesNear(data: Float32Array, rows: number, count: number, noise: number, random: Random): Float32Array[] {
  return Array.from({ length: count }, () => {
    const r = Math.floor(random() * rows);
    return Float32Array.from(data.subarray(r * DIM, (r + 1) * DIM), (x) => x + gaussian(random) * noise);
  });
}

function matrices(data: Float32Array, rows: number): { fast: VectorMatrix; exact: VectorMatrix } {
  const ids = Array.from({ length: rows }, (_, i) => `n${i}`);
  const fast = new VectorMatrix('m', DIM, rows);
  const exact = new VectorMatrix('m', DIM, rows, { int8: false });
  fast.add(ids, data);
  exact.add(ids, data);
  return { fast, exact };
}

/**
 * Share of queries whose top k is exactly the exact scan's (same ids in the same order, same scores to the last
 * bit: the rerank uses the exact scan's arithmetic), the mean share of the exact top k found, and the largest score
 * difference on a node both returned.
 */
function agreement(fast: VectorMatrix, exact: VectorMatrix, queries: Float32Array[], k = K): { same: number; overlap: number; maxScoreError: number } {
  let same = 0;
  let overlap = 0;
  let maxScoreError = 0;
  for (const q of queries) {
    const a = fast.nearest(q, k);
    const b = exact.nearest(q, k);
    if (a.length === b.length && a.every((n, i) => n.nodeId === b[i]?.nodeId && n.score === b[i]?.score)) same += 1;
    const scoreOf = new Map(b.map((n) => [n.nodeId, n.score]));
    overlap += a.filter((n) => scoreOf.has(n.nodeId)).length / Math.max(1, b.length);
    for (const n of a) if (scoreOf.has(n.nodeId)) maxScoreError = Math.max(maxScoreError, Math.abs(n.score - (scoreOf.get(n.nodeId) ?? 0)));
  }
  return { same: same / queries.length, overlap: overlap / queries.length, maxScoreError };
}

describe('int8 scan with exact rerank', () => {
  it('runs on WebAssembly SIMD here, and its integer dot products equal the plain JavaScript ones', () => {
    expect(int8ScanModule()).not.toBeNull();
    const random = seededRandom(7);
    // 100 dimensions: not a multiple of the scanner's 32-byte step, so the padding is exercised too.
    const dim = 100;
    const rows = 700;
    const data = Float32Array.from({ length: rows * dim }, () => random() - 0.5);
    const simd = new Int8Rows(dim);
    const plain = new Int8Rows(dim, { simd: false });
    expect(simd.simd).toBe(true);
    expect(plain.simd).toBe(false);
    for (let round = 0; round < 3; round += 1) {
      // Rows are added between scans, where the previous scan left its scratch bytes.
      const from = Math.floor((rows * round) / 3);
      const to = Math.floor((rows * (round + 1)) / 3);
      for (let r = from; r < to; r += 1) {
        simd.set(r, data, r * dim);
        plain.set(r, data, r * dim);
      }
      const query = Float32Array.from({ length: dim }, () => random() - 0.5);
      const a = Array.from(simd.scan(query, to).dots);
      const b = Array.from(plain.scan(query, to).dots);
      expect(a).toEqual(b);
      expect(a.some((x) => x !== 0)).toBe(true);
    }
  });

  it('returns the exact top 20 on at least 99% of queries over uniform random rows', () => {
    const random = seededRandom(11);
    const rows = 12_000;
    const data = uniformRows(rows, random);
    const { fast, exact } = matrices(data, rows);
    expect(fast.quantised).toBe(true);
    expect(exact.quantised).toBe(false);
    const result = agreement(fast, exact, queriesNear(data, rows, 150, 0.05, random));
    expect(result.same).toBeGreaterThanOrEqual(0.99);
    expect(result.overlap).toBeGreaterThanOrEqual(0.999);
    expect(result.maxScoreError).toBe(0);
    // What the app asks for: 50 results, oversampled 4 times for the filters (vector-source.ts).
    const wide = agreement(fast, exact, queriesNear(data, rows, 20, 0.05, random), 200);
    expect(wide.same).toBeGreaterThanOrEqual(0.95);
    expect(wide.overlap).toBeGreaterThanOrEqual(0.999);
  });

  it('returns the exact top 20 on at least 99% of queries over clustered rows', () => {
    const random = seededRandom(12);
    const rows = 12_000;
    const data = clusteredRows(rows, 150, random);
    const { fast, exact } = matrices(data, rows);
    const near = agreement(fast, exact, queriesNear(data, rows, 150, 0.02, random));
    const far = agreement(fast, exact, Array.from({ length: 50 }, () => Float32Array.from({ length: DIM }, () => gaussian(random))));
    expect(near.same).toBeGreaterThanOrEqual(0.99);
    expect(far.same).toBeGreaterThanOrEqual(0.99);
    expect(near.overlap).toBeGreaterThanOrEqual(0.999);
    expect(near.maxScoreError).toBe(0);
  });

  it('honours skip (more like this leaves the node itself out) on the two-pass path', () => {
    const random = seededRandom(13);
    const rows = 8_000;
    const data = uniformRows(rows, random);
    const { fast, exact } = matrices(data, rows);
    const like = fast.moreLikeThis('n42', K).map((n) => n.nodeId);
    expect(like).not.toContain('n42');
    expect(new Set(like)).toEqual(new Set(exact.moreLikeThis('n42', K).map((n) => n.nodeId)));
  });

  it('keeps a filter that leaves 1 % of the rows: the same hits as the exact scan under the same filter', () => {
    const random = seededRandom(14);
    const rows = 10_000;
    const data = clusteredRows(rows, 40, random);
    const { fast, exact } = matrices(data, rows);
    // Like a conversation filter (vector-source.ts): most of the nearest rows are skipped.
    const skip = (id: string): boolean => Number(id.slice(1)) % 100 !== 7;
    for (const q of queriesNear(data, rows, 20, 0.02, random)) {
      const a = fast.nearest(q, K, skip);
      expect(a).toHaveLength(K);
      expect(a.every((n) => !skip(n.nodeId))).toBe(true);
      expect(a).toEqual(exact.nearest(q, K, skip));
    }
  });
});

describe('ties and edge cases', () => {
  it('TopK keeps the same entries whatever order they are pushed in: higher score, then lower index', () => {
    const entries = [
      { index: 5, score: 0.5 },
      { index: 4, score: 0.5 },
      { index: 9, score: 0.9 },
      { index: 3, score: 0.5 },
      { index: 1, score: 0.5 },
      { index: 2, score: 0.5 },
      { index: 0, score: 0.1 },
    ];
    const want = [
      { index: 9, score: 0.9 },
      { index: 1, score: 0.5 },
      { index: 2, score: 0.5 },
    ];
    const random = seededRandom(3);
    for (let round = 0; round < 20; round += 1) {
      const order = [...entries].sort(() => random() - 0.5);
      const top = new TopK(3);
      for (const e of order) top.push(e.index, e.score);
      expect(top.results()).toEqual(want);
    }
    // Descending index order is the one where "an equal score never enters" keeps the wrong rows.
    const top = new TopK(2);
    for (const index of [5, 4, 3, 2, 1]) top.push(index, 0.5);
    expect(top.results().map((e) => e.index)).toEqual([1, 2]);
  });

  it('breaks ties between identical vectors by insertion order, as the exact scan does', () => {
    const random = seededRandom(21);
    const rows = 8_000;
    const data = uniformRows(rows, random);
    // 60 copies of row 0 spread through the matrix: the top 20 of a query near it is 20 of 60 equal scores.
    const copies = Array.from({ length: 60 }, (_, i) => 100 + i * 131);
    for (const r of copies) data.set(data.subarray(0, DIM), r * DIM);
    const { fast, exact } = matrices(data, rows);
    const q = Float32Array.from(data.subarray(0, DIM), (x) => x + gaussian(random) * 0.01);
    const a = fast.nearest(q, K);
    expect(a).toEqual(exact.nearest(q, K));
    expect(a.map((n) => n.nodeId)).toEqual(['n0', ...copies.slice(0, K - 1).map((r) => `n${r}`)]);
    expect(new Set(a.map((n) => n.score)).size).toBe(1);
  });

  it('returns every row when there are fewer rows than k, on both passes', () => {
    const random = seededRandom(22);
    const few = uniformRows(7, random);
    const q = Float32Array.from({ length: DIM }, () => random() - 0.5);
    const small = matrices(few, 7);
    expect(small.fast.nearest(q, K)).toEqual(small.exact.nearest(q, K));
    expect(small.fast.nearest(q, K)).toHaveLength(7);
    // The two-pass function itself, with fewer rows than both k and the candidate count.
    const int8 = new Int8Rows(DIM);
    for (let r = 0; r < 7; r += 1) int8.set(r, few, r * DIM);
    const qn = normalizeInPlace(Float32Array.from(q));
    expect(int8TopK(int8, few, 7, qn, K, 200)).toEqual(scanTopK(few, 7, DIM, qn, K));
    expect(int8TopK(int8, few, 0, qn, K, 200)).toEqual([]);
    expect(small.fast.nearest(q, 0)).toEqual([]);
  });

  it('handles zero vectors: a zero row scores 0, a zero query returns the first k rows with score 0', () => {
    const random = seededRandom(23);
    const rows = 6_000;
    const data = uniformRows(rows, random);
    for (const r of [0, 1, 2, 3000]) data.fill(0, r * DIM, (r + 1) * DIM);
    const { fast, exact } = matrices(data, rows);
    const zero = new Float32Array(DIM);
    const a = fast.nearest(zero, K);
    expect(a).toEqual(exact.nearest(zero, K));
    expect(a.map((n) => n.nodeId)).toEqual(Array.from({ length: K }, (_, i) => `n${i}`));
    expect(a.every((n) => n.score === 0)).toBe(true);
    // Far from every row: the zero rows (score 0) must rank as the exact scan ranks them.
    const q = Float32Array.from(data.subarray(10 * DIM, 11 * DIM), (x) => -x);
    expect(fast.nearest(q, 300)).toEqual(exact.nearest(q, 300));
    expect(fast.moreLikeThis('n1', K)).toEqual(exact.moreLikeThis('n1', K));
  });

  it('refuses a query or a block of another size instead of reading past rows', () => {
    const random = seededRandom(24);
    const rows = 6_000;
    const data = uniformRows(rows, random);
    const { fast } = matrices(data, rows);
    expect(fast.nearest(new Float32Array(DIM - 1), K)).toEqual([]);
    expect(fast.nearest(new Float32Array(DIM + 32).fill(1), K)).toEqual([]);
    expect(() => fast.add(['x', 'y'], new Float32Array(DIM * 2 - 1))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    try {
      fast.add(['x'], new Float32Array(DIM + 1));
    } catch (error) {
      expect(isAppError(error)).toBe(true);
    }
    expect(fast.size).toBe(rows);
    expect(fast.has('x')).toBe(false);
    const block = { modelId: 'm', dim: DIM / 2, dtype: 'float32' as const, nodeIds: ['z'], data: new Float32Array(DIM / 2).buffer, scales: null, createdAt: 0 };
    expect(fast.addBlock(block)).toBe(0);
  });

  it('holds its rows in about 5 bytes per dimension, and appending grows capacity by a quarter, not double', () => {
    const random = seededRandom(25);
    const rows = 10_000;
    const data = uniformRows(rows, random);
    const ids = Array.from({ length: rows }, (_, i) => `n${i}`);
    const matrix = new VectorMatrix('m', DIM, rows);
    matrix.add(ids, data);
    matrix.nearest(data.subarray(0, DIM), K);
    const rowBytes = rows * DIM * 5;
    // Float rows, int8 rows, a scale per row, and the scan's query and output, rounded up to 64 KiB pages.
    expect(matrix.byteLength).toBeLessThanOrEqual(rowBytes + rows * 8 + DIM * 2 + 2 * 65_536);
    matrix.add(['one-more'], data.subarray(0, DIM));
    expect(matrix.byteLength).toBeLessThanOrEqual(Math.ceil(rowBytes * 1.25) + rows * 8 + DIM * 2 + 2 * 65_536);
    expect(matrix.byteLength).toBeGreaterThan(rowBytes);
  });
});
