/**
 * A 2-D picture of topics: PCA of the centroids by power iteration with deflation (k is small, so this is cheap and
 * exact enough), weighted by cluster size so big topics anchor the map. Coordinates are scaled into [-1, 1].
 */
import { dot } from './vector-math';
import { maxOf } from '../arrays';

export interface Point2D {
  readonly x: number;
  readonly y: number;
}

export function projectCentroids(centroids: Float32Array, k: number, dim: number, weights: ArrayLike<number>): Point2D[] {
  if (k === 0) return [];
  const totalWeight = Array.from({ length: k }, (_, c) => weights[c] ?? 1).reduce((a, b) => a + b, 0) || 1;
  const mean = new Float32Array(dim);
  for (let c = 0; c < k; c += 1) for (let d = 0; d < dim; d += 1) mean[d] = mean[d]! + (centroids[c * dim + d]! * (weights[c] ?? 1)) / totalWeight;
  const centred = new Float32Array(k * dim);
  for (let c = 0; c < k; c += 1) for (let d = 0; d < dim; d += 1) centred[c * dim + d] = centroids[c * dim + d]! - mean[d]!;

  const components: Float32Array[] = [];
  for (let p = 0; p < 2; p += 1) {
    // Deterministic start vector; power iteration on X^T W X without forming the dim x dim matrix.
    let v = Float32Array.from({ length: dim }, (_, d) => 1 / Math.sqrt(dim) + (d % (p + 2)) * 1e-3);
    for (let it = 0; it < 100; it += 1) {
      const next = new Float32Array(dim);
      for (let c = 0; c < k; c += 1) {
        const s = dot(centred, c * dim, v, 0, dim) * (weights[c] ?? 1);
        for (let d = 0; d < dim; d += 1) next[d] = next[d]! + s * centred[c * dim + d]!;
      }
      for (const prev of components) {
        const s = dot(next, 0, prev, 0, dim);
        for (let d = 0; d < dim; d += 1) next[d] = next[d]! - s * prev[d]!;
      }
      const norm = Math.sqrt(dot(next, 0, next, 0, dim));
      if (norm === 0) break;
      for (let d = 0; d < dim; d += 1) next[d] = next[d]! / norm;
      v = next;
    }
    components.push(v);
  }
  const raw = Array.from({ length: k }, (_, c) => ({ x: dot(centred, c * dim, components[0]!, 0, dim), y: dot(centred, c * dim, components[1]!, 0, dim) }));
  const scale = maxOf(raw.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y))), 1e-9);
  return raw.map((p) => ({ x: p.x / scale, y: p.y / scale }));
}

export interface Bubble {
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

/**
 * Nudges overlapping circles apart (pairwise push along the line between centres) so every topic on the map stays
 * visible and clickable, while keeping neighbours roughly where the projection put them.
 */
export function spreadBubbles(bubbles: readonly Bubble[], gap: number, iterations = 120): Bubble[] {
  const out = bubbles.map((b) => ({ ...b }));
  for (let it = 0; it < iterations; it += 1) {
    let moved = false;
    for (let i = 0; i < out.length; i += 1)
      for (let j = i + 1; j < out.length; j += 1) {
        const a = out[i]!;
        const b = out[j]!;
        let dx = b.x - a.x;
        let dy = b.y - a.y;
        let d = Math.hypot(dx, dy);
        const need = a.r + b.r + gap;
        if (d >= need) continue;
        if (d < 1e-6) {
          // Same spot: separate along a direction fixed by the indexes, so the layout is deterministic.
          dx = Math.cos(i + j);
          dy = Math.sin(i + j);
          d = 1;
        }
        const push = (need - d) / 2;
        a.x -= (dx / d) * push;
        a.y -= (dy / d) * push;
        b.x += (dx / d) * push;
        b.y += (dy / d) * push;
        moved = true;
      }
    if (!moved) break;
  }
  return out;
}
