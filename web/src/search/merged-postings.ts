/**
 * A very common term's postings merged across fields and segments, cached while the reader keeps the term hot.
 *
 *   mergedPostings(byField, fieldWeight, capacity, minPostings?): MergedPostings | null
 *   membership(merged): Uint32Array          // the documents as a bitset (cached)
 *   maxRatio(merged, lengthNorms): number    // max over its documents of tf / lengthNorm (cached): a score bound
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

/**
 * The merge's working arrays (room for every posting, before duplicates across fields and segments are summed),
 * kept from one merge to the next: in Chromium a fresh typed array is paid for page by page (see keyword-index.ts
 * SegmentScratch), and a word in most of 100k exchanges has ~200k postings (2.4 MB here). The merge itself keeps
 * arrays of its exact size. Kept up to MERGE_SCRATCH_KEPT postings.
 */
let scratchIds = new Uint32Array(0);
let scratchSums = new Float64Array(0);
const MERGE_SCRATCH_KEPT = 1 << 20;

/** The merged postings of a term, or null when it has fewer than `minPostings` postings (too rare to be worth merging). */
export function mergedPostings(
  byField: ReadonlyMap<FieldCode, readonly Postings[]>,
  fieldWeight: (field: FieldCode) => number,
  capacity: number,
  minPostings = MERGE_MIN_POSTINGS,
): MergedPostings | null {
  let count = 0;
  for (const lists of byField.values()) for (const list of lists) count += list.docIds.length;
  const anchor = byField.values().next().value;
  if (count < Math.max(1, minPostings) || anchor === undefined) return null;
  const key = `${capacity}:${[...byField.keys()].map((field) => `${field}${fieldWeight(field)}`).join(',')}`;
  const known = cache.get(anchor)?.get(key);
  if (known) return known;

  // A k-way merge of the lists (each ascending): per document, the lists' weighted frequencies are added in the
  // order of `byField` and its lists, starting from 0, as the scoring loop adds them (the same sums to the last
  // bit). It reads each posting once, where summing into arrays of `capacity` entries then walking them read the
  // whole documents table for every common word the first time a query met it.
  const heads: { ids: Uint32Array; tfs: Uint16Array; weight: number; at: number }[] = [];
  for (const [field, lists] of byField) {
    const weight = fieldWeight(field);
    for (const list of lists) if (list.docIds.length > 0) heads.push({ ids: list.docIds, tfs: list.tfs, weight, at: 0 });
  }
  if (scratchIds.length < count) {
    scratchIds = new Uint32Array(count);
    scratchSums = new Float64Array(count);
  }
  const ids = scratchIds;
  const sums = scratchSums;
  let n = 0;
  // Indexed loops throughout: until the engine optimises them, for…of loops make an object a step.
  for (;;) {
    let doc = capacity;
    for (let h = 0; h < heads.length; h++) {
      const head = heads[h];
      if (head && head.at < head.ids.length) doc = Math.min(doc, head.ids[head.at] ?? capacity);
    }
    if (doc >= capacity) break;
    let sum = 0;
    for (let h = 0; h < heads.length; h++) {
      const head = heads[h];
      if (!head || head.ids[head.at] !== doc) continue;
      sum += head.weight * (head.tfs[head.at] ?? 0);
      head.at += 1;
    }
    ids[n] = doc;
    sums[n] = sum;
    n += 1;
  }
  const docIds = ids.slice(0, n);
  const tf = sums.slice(0, n);
  if (scratchIds.length > MERGE_SCRATCH_KEPT) {
    scratchIds = new Uint32Array(0);
    scratchSums = new Float64Array(0);
  }
  const merged = { docIds, tf };
  const byKey = cache.get(anchor) ?? new Map<string, MergedPostings>();
  byKey.set(key, merged);
  cache.set(anchor, byKey);
  return merged;
}

const bitsets = new WeakMap<MergedPostings, Uint32Array>();

/** The merged documents as a bitset (bit doc % 32 of word doc >> 5), cached with the merge. */
export function membership(merged: MergedPostings): Uint32Array {
  const known = bitsets.get(merged);
  if (known) return known;
  const last = merged.docIds[merged.docIds.length - 1] ?? 0;
  const bits = new Uint32Array((last >>> 5) + 1);
  const ids = merged.docIds;
  for (let i = 0; i < ids.length; i++) {
    const doc = ids[i] ?? 0;
    bits[doc >>> 5] = (bits[doc >>> 5] ?? 0) | (1 << (doc & 31));
  }
  bitsets.set(merged, bits);
  return bits;
}

const ratios = new WeakMap<MergedPostings, { norms: Float64Array; value: number }>();

/**
 * The largest length-normalised frequency `tf / lengthNorms[doc]` over the merged documents, cached for the same
 * norms array (the documents table keeps it while the vault and the fields searched stay the same). Scores rise
 * with it, so it bounds what the term can add to any exchange's score.
 */
export function maxRatio(merged: MergedPostings, lengthNorms: Float64Array): number {
  const known = ratios.get(merged);
  if (known?.norms === lengthNorms) return known.value;
  let value = 0;
  const ids = merged.docIds;
  const tf = merged.tf;
  for (let i = 0; i < ids.length; i++) value = Math.max(value, (tf[i] ?? 0) / (lengthNorms[ids[i] ?? 0] ?? 1));
  ratios.set(merged, { norms: lengthNorms, value });
  return value;
}
