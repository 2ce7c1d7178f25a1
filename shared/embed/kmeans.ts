/**
 * Spherical k-means over L2-normalised rows (similarity = dot product, centroids re-normalised), k-means++ seeding
 * with injected randomness. Large inputs use mini-batch updates (Sculley 2010) and one final full assignment, so a
 * 100k-node vault clusters in seconds in a worker.
 */
import type { Random } from './random';
import { dot, normalizeInPlace } from './vector-math';

export interface KMeansOptions {
  readonly k: number;
  readonly random: Random;
  readonly maxIterations?: number;
  /** Above this many rows, mini-batch k-means is used. */
  readonly miniBatchAbove?: number;
  readonly batchSize?: number;
  /** Lloyd runs from fresh k-means++ seeds; the tightest wins (one unlucky seed can merge two topics). */
  readonly restarts?: number;
}

export interface KMeansResult {
  readonly k: number;
  readonly dim: number;
  /** k rows of `dim`, normalised. */
  readonly centroids: Float32Array<ArrayBuffer>;
  /** Cluster of each row. */
  readonly assignments: Int32Array<ArrayBuffer>;
  readonly sizes: Int32Array<ArrayBuffer>;
  readonly iterations: number;
}

/** The rule for k: about sqrt(n / 2), at least 2 (when there are 2+ rows), at most `cap`. */
export function chooseK(n: number, cap = 30): number {
  if (n < 2) return n;
  return Math.max(2, Math.min(cap, Math.round(Math.sqrt(n / 2)), n));
}

/** Index of the centroid most similar to row `row` of `data`. */
export function nearestCentroid(centroids: Float32Array, k: number, data: Float32Array, offset: number, dim: number): { cluster: number; score: number } {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < k; c += 1) {
    const s = dot(centroids, c * dim, data, offset, dim);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return { cluster: best, score: bestScore };
}

function seedPlusPlus(data: Float32Array, n: number, dim: number, k: number, random: Random): Float32Array<ArrayBuffer> {
  const centroids = new Float32Array(k * dim);
  const first = Math.floor(random() * n);
  centroids.set(data.subarray(first * dim, first * dim + dim), 0);
  // Distance on the unit sphere: 1 - cos (proportional to squared euclidean distance).
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c += 1) {
    let total = 0;
    for (let i = 0; i < n; i += 1) {
      const d = Math.max(0, 1 - dot(data, i * dim, centroids, (c - 1) * dim, dim));
      if (d < nearest[i]!) nearest[i] = d;
      total += nearest[i]!;
    }
    let pick = n - 1;
    if (total > 0) {
      let target = random() * total;
      for (let i = 0; i < n; i += 1) {
        target -= nearest[i]!;
        if (target <= 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = Math.floor(random() * n);
    }
    centroids.set(data.subarray(pick * dim, pick * dim + dim), c * dim);
  }
  return centroids;
}

function assignAll(data: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, assignments: Int32Array): number {
  let changed = 0;
  for (let i = 0; i < n; i += 1) {
    const { cluster } = nearestCentroid(centroids, k, data, i * dim, dim);
    if (assignments[i] !== cluster) changed += 1;
    assignments[i] = cluster;
  }
  return changed;
}

function recomputeCentroids(data: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, assignments: Int32Array, random: Random): void {
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i += 1) {
    const c = assignments[i]!;
    counts[c] = counts[c]! + 1;
    for (let d = 0; d < dim; d += 1) sums[c * dim + d] = sums[c * dim + d]! + data[i * dim + d]!;
  }
  for (let c = 0; c < k; c += 1) {
    if (counts[c] === 0) {
      // An empty cluster takes a random row, so k topics stay k topics.
      const pick = Math.floor(random() * n);
      centroids.set(data.subarray(pick * dim, pick * dim + dim), c * dim);
      continue;
    }
    for (let d = 0; d < dim; d += 1) centroids[c * dim + d] = sums[c * dim + d]!;
    normalizeInPlace(centroids, c * dim, dim);
  }
}

function sizesOf(assignments: Int32Array, k: number): Int32Array<ArrayBuffer> {
  const sizes = new Int32Array(k);
  for (const c of assignments) sizes[c] = sizes[c]! + 1;
  return sizes;
}

export function kmeans(data: Float32Array, dim: number, options: KMeansOptions): KMeansResult {
  const n = Math.floor(data.length / dim);
  const k = Math.min(options.k, n);
  const assignments = new Int32Array(n).fill(-1);
  if (k === 0) return { k, dim, centroids: new Float32Array(0), assignments, sizes: new Int32Array(0), iterations: 0 };
  const maxIterations = options.maxIterations ?? 50;
  const { random } = options;
  if (n > (options.miniBatchAbove ?? 20_000)) {
    const batch = options.batchSize ?? 1024;
    const sample = Math.min(n, 10 * batch);
    const sampleRows = new Float32Array(sample * dim);
    for (let i = 0; i < sample; i += 1) {
      const row = Math.floor(random() * n);
      sampleRows.set(data.subarray(row * dim, row * dim + dim), i * dim);
    }
    const centroids = seedPlusPlus(sampleRows, sample, dim, k, random);
    const counts = new Float64Array(k);
    for (let it = 0; it < maxIterations * 2; it += 1) {
      for (let b = 0; b < batch; b += 1) {
        const row = Math.floor(random() * n);
        const { cluster } = nearestCentroid(centroids, k, data, row * dim, dim);
        counts[cluster] = counts[cluster]! + 1;
        const rate = 1 / counts[cluster];
        for (let d = 0; d < dim; d += 1) {
          const at = cluster * dim + d;
          centroids[at] = centroids[at]! * (1 - rate) + data[row * dim + d]! * rate;
        }
      }
      for (let c = 0; c < k; c += 1) normalizeInPlace(centroids, c * dim, dim);
    }
    assignAll(data, n, dim, centroids, k, assignments);
    return { k, dim, centroids, assignments, sizes: sizesOf(assignments, k), iterations: maxIterations * 2 };
  }
  const restarts = options.restarts ?? (n <= 5000 ? 4 : 1);
  let best = lloyd(data, n, dim, k, maxIterations, random);
  let bestCohesion = totalSimilarity(data, n, dim, best);
  for (let run = 1; run < restarts; run += 1) {
    const result = lloyd(data, n, dim, k, maxIterations, random);
    const cohesion = totalSimilarity(data, n, dim, result);
    if (cohesion > bestCohesion) {
      best = result;
      bestCohesion = cohesion;
    }
  }
  return best;
}

function lloyd(data: Float32Array, n: number, dim: number, k: number, maxIterations: number, random: Random): KMeansResult {
  const assignments = new Int32Array(n).fill(-1);
  const centroids = seedPlusPlus(data, n, dim, k, random);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations += 1;
    const changed = assignAll(data, n, dim, centroids, k, assignments);
    if (changed === 0) break;
    recomputeCentroids(data, n, dim, centroids, k, assignments, random);
  }
  return { k, dim, centroids, assignments, sizes: sizesOf(assignments, k), iterations };
}

/** Sum of each row's similarity to its centroid: higher is a tighter clustering. */
function totalSimilarity(data: Float32Array, n: number, dim: number, result: KMeansResult): number {
  let total = 0;
  for (let i = 0; i < n; i += 1) total += dot(data, i * dim, result.centroids, result.assignments[i]! * dim, dim);
  return total;
}
