import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../shared/embed/random';
import { normalizeInPlace } from '../../shared/embed/vector-math';
import { Int8Rows, int8ScanModule } from '../../web/src/vectors/int8-scan';
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

/** Share of queries whose top K (as a set) is exactly the exact scan's, and the largest score difference seen. */
function agreement(fast: VectorMatrix, exact: VectorMatrix, queries: Float32Array[]): { same: number; maxScoreError: number } {
  let same = 0;
  let maxScoreError = 0;
  for (const q of queries) {
    const a = fast.nearest(q, K);
    const b = exact.nearest(q, K);
    const want = new Set(b.map((n) => n.nodeId));
    if (a.length === K && a.every((n) => want.has(n.nodeId))) same += 1;
    const scoreOf = new Map(b.map((n) => [n.nodeId, n.score]));
    for (const n of a) if (scoreOf.has(n.nodeId)) maxScoreError = Math.max(maxScoreError, Math.abs(n.score - (scoreOf.get(n.nodeId) ?? 0)));
  }
  return { same: same / queries.length, maxScoreError };
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
    const result = agreement(fast, exact, queriesNear(data, rows, 150, 0.05, random));
    expect(result.same).toBeGreaterThanOrEqual(0.99);
    expect(result.maxScoreError).toBeLessThan(1e-6);
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
    expect(near.maxScoreError).toBeLessThan(1e-6);
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
});
