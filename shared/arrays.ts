/**
 * Array helpers that stay correct at any size. Spreading an array into a call (`a.push(...b)`, `Math.max(...b)`,
 * `String.fromCharCode(...b)`) puts every element on the stack and throws "RangeError: Maximum call stack size
 * exceeded" somewhere past ~100k elements (less in a Web Worker); a 100k-exchange import hit it. Lint forbids those
 * spreads in product code (eslint.config.js); these loops take their place.
 *
 *   appendAll(target, items): target     // target.push(...items), for any length
 *   maxOf(values, empty?) / minOf(values, empty?)   // Math.max/min(...values); `empty` when there is none
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The value `better` prefers over all others: NaN when any value is NaN, `empty` when there are none. */
function extremeOf(values: Iterable<number>, empty: number, better: (a: number, b: number) => boolean): number {
  let out = empty;
  let any = false;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (!any || better(v, out)) out = v;
    any = true;
  }
  return out;
}

/** Math.max(...values) without the spread: NaN when any value is NaN, `empty` when there are none. */
export const maxOf = (values: Iterable<number>, empty = Number.NEGATIVE_INFINITY): number => extremeOf(values, empty, (a, b) => a > b);

/** Math.min(...values) without the spread: NaN when any value is NaN, `empty` when there are none. */
export const minOf = (values: Iterable<number>, empty = Number.POSITIVE_INFINITY): number => extremeOf(values, empty, (a, b) => a < b);
