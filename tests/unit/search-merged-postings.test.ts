import { describe, expect, it } from 'vitest';
import type { FieldCode, Postings } from '../../web/src/search/keyword-index';
import { MERGE_MIN_POSTINGS, mergedPostings } from '../../web/src/search/merged-postings';

function list(docIds: number[], tf: (doc: number) => number): Postings {
  return { docIds: Uint32Array.from(docIds), tfs: Uint16Array.from(docIds, tf) };
}

const range = (from: number, to: number, step: number): number[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

describe('merged postings of a common term', () => {
  // Two segments per field (disjoint documents), fields overlapping: as the reader returns a hot term.
  const h = [list(range(0, 12_000, 2), (d) => 1 + (d % 3)), list(range(12_000, 20_000, 5), () => 2)];
  const a = [list(range(0, 12_000, 3), (d) => 1 + (d % 5)), list(range(12_001, 20_000, 4), () => 7)];
  const byField = new Map<FieldCode, Postings[]>([
    ['h', h],
    ['a', a],
  ]);
  const weight = (field: FieldCode): number => (field === 'x' ? 0.4 : field === 'a' ? 0.5 : 1);

  it('sums weighted frequencies per document, in document order, below the capacity only', () => {
    const capacity = 19_000;
    const merged = mergedPostings(byField, weight, capacity);
    if (!merged) throw new Error('expected a merge');
    const expected = new Map<number, number>();
    for (const [field, lists] of byField) {
      for (const l of lists) l.docIds.forEach((doc, i) => doc < capacity && expected.set(doc, (expected.get(doc) ?? 0) + weight(field) * (l.tfs[i] ?? 0)));
    }
    const docs = [...expected.keys()].sort((x, y) => x - y);
    expect([...merged.docIds]).toEqual(docs);
    expect([...merged.tf]).toEqual(docs.map((doc) => expected.get(doc)));
  });

  it('is cached for the same lists and arguments, recomputed when they change, and skipped for rare terms', () => {
    const first = mergedPostings(byField, weight, 20_000);
    expect(mergedPostings(new Map(byField), weight, 20_000)).toBe(first);
    expect(mergedPostings(byField, weight, 20_001)).not.toBe(first);
    expect(mergedPostings(new Map<FieldCode, Postings[]>([['h', [...h]], ['a', a]]), weight, 20_000)).not.toBe(first);
    const rare = new Map<FieldCode, Postings[]>([['h', [list(range(0, MERGE_MIN_POSTINGS - 1, 1), () => 1)]]]);
    expect(mergedPostings(rare, weight, 20_000)).toBeNull();
  });
});
