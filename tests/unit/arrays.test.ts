// shared/arrays.ts: the spread-free helpers must hold at sizes where `push(...items)` and `Math.max(...values)` throw
// (a 100k-exchange import failed with "Maximum call stack size exceeded" in the keyword index's compaction).
import { describe, expect, it } from 'vitest';
import { appendAll, maxOf, minOf } from '../../shared/arrays';

const big = Array.from({ length: 2_000_000 }, (_, i) => (i * 7919) % 1_000_003);

describe('arrays at any size', () => {
  it('the spread form really fails at this size (so the test below means something)', () => {
    expect(() => [].push(...(big as never[]))).toThrow(RangeError);
  });

  it('appendAll appends two million items in order, to a non-empty target, and returns it', () => {
    const target = [-1];
    expect(appendAll(target, big)).toBe(target);
    expect(target.length).toBe(big.length + 1);
    expect(target[1]).toBe(big[0]);
    expect(target.at(-1)).toBe(big.at(-1));
    expect(appendAll([1], new Set([2, 3]))).toEqual([1, 2, 3]);
  });

  it('maxOf and minOf agree with Math.max/min, including empty input and NaN', () => {
    expect(maxOf(big)).toBe(big.reduce((a, b) => Math.max(a, b)));
    expect(minOf(big)).toBe(big.reduce((a, b) => Math.min(a, b)));
    expect(maxOf([])).toBe(Math.max());
    expect(minOf([])).toBe(Math.min());
    expect(maxOf([], 0)).toBe(0);
    expect(maxOf([3, Number.NaN, 5])).toBeNaN();
    expect(minOf([-0.5, -2, 4])).toBe(-2);
    expect(maxOf([-Infinity])).toBe(-Infinity);
  });
});
