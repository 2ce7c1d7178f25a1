/**
 * A very common term's postings merged across fields and segments, cached while the reader keeps the term hot.
 *
 *   mergedPostings(byField, fieldWeight, capacity): MergedPostings | null
 *
 * Scoring a term reads each field's lists, sums the weighted term frequencies per document and counts the
 * documents (its df). For words in most exchanges ("the", "and") that is hundreds of thousands of postings per
 * query, and the sums never change while the term's rows do not: the reader (keyword-index.ts) then hands out
 * the same decoded lists, so the merge is cached against them and a later query reads one list instead.
 */
import type { FieldCode, Postings } from './keyword-index';

/** Below this many postings the merge costs more than it saves (the reader's HOT_POSTINGS keeps such terms decoded). */
export const MERGE_MIN_POSTINGS = 10_000;

export interface MergedPostings {
  /** Documents below `capacity` holding the term in any of the fields, ascending. */
  docIds: Uint32Array;
  /** Per document, Σ fieldWeight(field) × tf, summed in the order of `byField` and its lists (as the scoring loop does). */
  tf: Float64Array;
}

const cache = new WeakMap<readonly Postings[], Map<string, MergedPostings>>();

/** The merged postings of a term, or null when it is too rare to be worth merging. */
export function mergedPostings(byField: ReadonlyMap<FieldCode, readonly Postings[]>, fieldWeight: (field: FieldCode) => number, capacity: number): MergedPostings | null {
  let count = 0;
  for (const lists of byField.values()) for (const list of lists) count += list.docIds.length;
  const anchor = byField.values().next().value;
  if (count < MERGE_MIN_POSTINGS || anchor === undefined) return null;
  const key = `${capacity}:${[...byField.keys()].map((field) => `${field}${fieldWeight(field)}`).join(',')}`;
  const known = cache.get(anchor)?.get(key);
  if (known) return known;

  const sums = new Float64Array(capacity);
  const seen = new Uint8Array(capacity);
  let df = 0;
  for (const [field, lists] of byField) {
    const weight = fieldWeight(field);
    for (const list of lists) {
      for (let i = 0; i < list.docIds.length; i++) {
        const doc = list.docIds[i] ?? 0;
        if (doc >= capacity) continue;
        if (seen[doc] === 0) {
          seen[doc] = 1;
          df++;
        }
        sums[doc] = (sums[doc] ?? 0) + weight * (list.tfs[i] ?? 0);
      }
    }
  }
  const docIds = new Uint32Array(df);
  const tf = new Float64Array(df);
  let n = 0;
  for (let doc = 0; doc < capacity && n < df; doc++) {
    if (seen[doc] === 0) continue;
    docIds[n] = doc;
    tf[n] = sums[doc] ?? 0;
    n++;
  }
  const merged = { docIds, tf };
  const byKey = cache.get(anchor) ?? new Map<string, MergedPostings>();
  byKey.set(key, merged);
  cache.set(anchor, byKey);
  return merged;
}
