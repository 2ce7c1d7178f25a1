import { describe, expect, it } from 'vitest';
import { chooseK, kmeans } from '../../shared/embed/kmeans';
import { projectCentroids, spreadBubbles } from '../../shared/embed/projection';
import { seededRandom } from '../../shared/embed/random';
import { labelClusters, terms } from '../../shared/embed/topic-labels';

/** n points around each of `centres` random unit directions, with noise. */
function planted(centres: number, perCluster: number, dim: number, noise: number, seed: number): { data: Float32Array; truth: number[] } {
  const random = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
  const dirs = Array.from({ length: centres }, () => Float32Array.from({ length: dim }, gauss));
  const data = new Float32Array(centres * perCluster * dim);
  const truth: number[] = [];
  let row = 0;
  for (let c = 0; c < centres; c += 1)
    for (let i = 0; i < perCluster; i += 1, row += 1) {
      let norm = 0;
      for (let d = 0; d < dim; d += 1) {
        const v = dirs[c]![d]! + noise * gauss();
        data[row * dim + d] = v;
        norm += v * v;
      }
      for (let d = 0; d < dim; d += 1) data[row * dim + d] = data[row * dim + d]! / Math.sqrt(norm);
      truth.push(c);
    }
  return { data, truth };
}

/** Share of pairs on which two labelings agree (Rand index). */
function randIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i += 7)
    for (let j = i + 1; j < a.length; j += 5) {
      pairs += 1;
      if ((a[i] === a[j]) === (b[i] === b[j])) agree += 1;
    }
  return agree / pairs;
}

describe('k-means over normalised vectors', () => {
  it('recovers planted clusters (Lloyd)', () => {
    const { data, truth } = planted(6, 80, 32, 0.35, 11);
    const result = kmeans(data, 32, { k: 6, random: seededRandom(1) });
    expect(randIndex(result.assignments, truth)).toBeGreaterThan(0.98);
    expect([...result.sizes].sort((x, y) => x - y)).toEqual([80, 80, 80, 80, 80, 80]);
  });

  it('recovers planted clusters with mini-batches on a large input', () => {
    const { data, truth } = planted(8, 3000, 24, 0.4, 3);
    const result = kmeans(data, 24, { k: 8, random: seededRandom(2), miniBatchAbove: 10_000, batchSize: 512, maxIterations: 20 });
    expect(randIndex(result.assignments, truth)).toBeGreaterThan(0.95);
  });

  it('is reproducible for a seed and differs across seeds only in numbering', () => {
    const { data } = planted(4, 50, 16, 0.3, 5);
    const a = kmeans(data, 16, { k: 4, random: seededRandom(7) });
    const b = kmeans(data, 16, { k: 4, random: seededRandom(7) });
    expect([...a.assignments]).toEqual([...b.assignments]);
  });

  it('chooses k about sqrt(n/2), capped', () => {
    expect(chooseK(0)).toBe(0);
    expect(chooseK(1)).toBe(1);
    expect(chooseK(5)).toBe(2);
    expect(chooseK(200)).toBe(10);
    expect(chooseK(1_000_000)).toBe(30);
  });
});

describe('topic labels', () => {
  it('labels each cluster by the words that set it apart, not the words every cluster uses', () => {
    const labels = labelClusters([
      ['Thanks! How do I feed my cat?', 'My cat and the kitten need food, thanks', 'cat litter help please'],
      ['Thanks, my python code has a bug', 'python error in my function, help', 'debugging python code'],
      ['bread recipe with flour please', 'how long to bake bread, thanks', 'sourdough bread flour help'],
    ]);
    expect(labels[0]!.terms[0]).toBe('cat');
    expect(labels[1]!.terms[0]).toBe('python');
    expect(labels[2]!.terms[0]).toBe('bread');
    for (const label of labels) expect(label.terms).not.toContain('thanks');
    expect(labels[1]!.terms).toContain('code');
  });

  it('drops stop words, numbers and short words', () => {
    expect(terms('The 2024 plan: we should go to Paris and eat crêpes')).toEqual(['plan', 'paris', 'eat', 'crêpes']);
  });
});

describe('topic map projection', () => {
  it('keeps far-apart topics far apart on the 2-D map', () => {
    const dim = 16;
    const centroids = new Float32Array(3 * dim);
    centroids[0] = 1;
    centroids[dim + 0] = 0.95;
    centroids[dim + 1] = 0.31;
    centroids[2 * dim + 5] = 1;
    const points = projectCentroids(centroids, 3, dim, [10, 10, 10]);
    const dist = (i: number, j: number): number => Math.hypot(points[i]!.x - points[j]!.x, points[i]!.y - points[j]!.y);
    expect(dist(0, 1)).toBeLessThan(dist(0, 2));
    expect(dist(0, 1)).toBeLessThan(dist(1, 2));
    for (const p of points) {
      expect(Math.abs(p.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(p.y)).toBeLessThanOrEqual(1);
    }
  });
});

describe('topic map layout', () => {
  it('spreads overlapping bubbles until none overlap', () => {
    const bubbles = [
      { x: 0, y: 0, r: 10 },
      { x: 0, y: 0, r: 20 },
      { x: 5, y: 5, r: 15 },
      { x: 100, y: 100, r: 5 },
    ];
    const spread = spreadBubbles(bubbles, 2);
    for (let i = 0; i < spread.length; i += 1)
      for (let j = i + 1; j < spread.length; j += 1) {
        const a = spread[i]!;
        const b = spread[j]!;
        expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.r + b.r + 2 - 1e-6);
      }
    expect(spread[3]).toEqual(bubbles[3]);
  });
});
