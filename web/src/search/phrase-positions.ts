/**
 * Quoted phrases verified from the word positions kept in the postings (keyword-index.ts, PostingsRow.positions),
 * instead of reading and tokenizing each candidate's stored text.
 *
 *   phraseStatus(phrase, wordPostings, fields, candidates): Uint8Array
 *     per candidate (docIds ascending): PHRASE_NO, PHRASE_YES, or PHRASE_UNKNOWN when some list it needs has no
 *     positions (rows written before positions existed): the caller then checks that candidate's text.
 *   phraseStatusOf(...same): the same for a few candidates in any order (looked up, not walked)
 *   gallop(ids, target, from): number        first index at or after `from` with an id ≥ target (keyword-search too)
 *
 * A phrase matches in a field when its words sit at consecutive positions there, as `containsPhrase` checks on the
 * text (positions count the same words `terms` yields, so a skipped over-long word does not break adjacency).
 */
import type { FieldCode, Postings } from './keyword-index';

export const PHRASE_NO = 0;
export const PHRASE_YES = 1;
export const PHRASE_UNKNOWN = 2;

const ABSENT = -1;
const UNKNOWN = -2;
/** A tf this large was capped when decoded (keyword-index.ts), so its positions cannot be skipped exactly. */
const CAPPED_TF = 0xffff;

/** Walks one word's lists in one field, in docId order, reading the positions of the documents asked for. */
class PositionCursor {
  private list = 0;
  private index = 0;
  private byte = 0;
  private broken = false;
  positions = new Uint32Array(16);

  constructor(private readonly lists: readonly Postings[]) {
    // Lists are segments in ascending docId order; anything else cannot be walked in one pass.
    for (let l = 1; l < lists.length; l++) {
      const before = lists[l - 1]?.docIds;
      const first = lists[l]?.docIds[0];
      if (before && before.length > 0 && first !== undefined && first <= (before[before.length - 1] ?? 0)) this.broken = true;
    }
  }

  /** The number of positions of `doc` (now in `positions`), ABSENT when the word is not there, or UNKNOWN. */
  seek(doc: number): number {
    if (this.broken) return UNKNOWN;
    for (;;) {
      const current = this.lists[this.list];
      if (!current) return ABSENT;
      const { docIds, tfs, positions } = current;
      // With the list's position offsets (cached per list, see positionStarts), jump to the document instead of
      // stepping over every position before it: a common word's lists hold millions of them.
      const starts = positions ? positionStarts(current) : null;
      if (starts) {
        this.index = gallop(docIds, doc, this.index);
        this.byte = starts[this.index] ?? positions?.length ?? 0;
      }
      while (this.index < docIds.length && (docIds[this.index] ?? 0) < doc) {
        if (positions) {
          let n = tfs[this.index] ?? 0;
          if (n >= CAPPED_TF) {
            this.broken = true;
            return UNKNOWN;
          }
          let at = this.byte;
          while (n > 0) if ((positions[at++] ?? 0) < 0x80) n--;
          this.byte = at;
        }
        this.index++;
      }
      if (this.index >= docIds.length) {
        this.list++;
        this.index = 0;
        this.byte = 0;
        continue;
      }
      if (docIds[this.index] !== doc) return ABSENT;
      if (!positions) return UNKNOWN;
      const tf = tfs[this.index] ?? 0;
      if (tf >= CAPPED_TF) return UNKNOWN;
      readPositions(positions, this.byte, tf, this);
      // The posting stays current (a later seek of the same doc reads it again); its bytes are skipped on moving on.
      return tf;
    }
  }
}

/** The first index at or after `from` whose docId is at least `target` (ascending): galloping, then binary search. */
export function gallop(ids: Uint32Array, target: number, from: number): number {
  let lo = from;
  if (lo >= ids.length || (ids[lo] ?? 0) >= target) return lo;
  let step = 1;
  let hi = lo + 1;
  while (hi < ids.length && (ids[hi] ?? 0) < target) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  hi = Math.min(hi, ids.length);
  lo += 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] ?? 0) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Decodes `tf` delta-coded varint positions from `bytes` at `at` into `holder.positions` (grown when too short). */
function readPositions(bytes: Uint8Array, at: number, tf: number, holder: { positions: Uint32Array }): void {
  if (tf > holder.positions.length) holder.positions = new Uint32Array(Math.max(tf, holder.positions.length * 2));
  let value = 0;
  for (let k = 0; k < tf; k++) {
    let gap = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[at++] ?? 0;
      gap += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    value += gap;
    holder.positions[k] = value;
  }
}

/** The phrase's word indexes, the rarest first: a document without it needs no other word read. */
function rarestFirst(lists: readonly (readonly Postings[])[]): number[] {
  const size = lists.map((l) => l.reduce((n, list) => n + list.docIds.length, 0));
  return lists.map((_, k) => k).sort((x, y) => (size[x] ?? 0) - (size[y] ?? 0));
}

/**
 * Looks up every word of the phrase in `order` with `positionsOf(k)` (a count, ABSENT or UNKNOWN), keeping the
 * counts: ABSENT as soon as one word is missing, UNKNOWN when one could not say, else the number of words.
 */
function lookUpWords(order: readonly number[], counts: number[], positionsOf: (k: number) => number): number {
  let unknown = false;
  for (const k of order) {
    const count = positionsOf(k);
    if (count === ABSENT) return ABSENT;
    if (count === UNKNOWN) unknown = true;
    else counts[k] = count;
  }
  return unknown ? UNKNOWN : order.length;
}

/** Whether the cursors' current positions (word k of the phrase: `counts[k]` of them) hold p, p + 1, …, p + n − 1. */
function consecutive(cursors: readonly { positions: Uint32Array }[], counts: readonly number[], pointers: Int32Array): boolean {
  const first = cursors[0];
  if (!first) return false;
  pointers.fill(0);
  for (let i = 0; i < (counts[0] ?? 0); i++) {
    const start = first.positions[i] ?? 0;
    let all = true;
    for (let k = 1; k < cursors.length && all; k++) {
      const want = start + k;
      const list = (cursors[k] as { positions: Uint32Array }).positions;
      const count = counts[k] ?? 0;
      let p = pointers[k] ?? 0;
      while (p < count && (list[p] ?? 0) < want) p++;
      pointers[k] = p;
      all = p < count && list[p] === want;
    }
    if (all) return true;
  }
  return false;
}

/**
 * For each candidate (ascending docIds), whether `phrase` occurs in one of `fields`. `wordPostings[k]` are the
 * postings of `phrase[k]` by field (as KeywordIndexReader.postings returns them).
 */
export function phraseStatus(
  phrase: readonly string[],
  wordPostings: readonly ReadonlyMap<FieldCode, readonly Postings[]>[],
  fields: readonly FieldCode[],
  candidates: ArrayLike<number>,
): Uint8Array {
  const status = new Uint8Array(candidates.length);
  if (phrase.length === 0) return status;
  const pointers = new Int32Array(phrase.length);
  for (const field of fields) {
    const lists = phrase.map((_, k) => wordPostings[k]?.get(field) ?? []);
    const cursors = lists.map((l) => new PositionCursor(l));
    const order = rarestFirst(lists);
    const counts = new Array<number>(phrase.length).fill(0);
    for (let c = 0; c < candidates.length; c++) {
      const doc = candidates[c] ?? 0;
      const found = lookUpWords(order, counts, (k) => (cursors[k] as PositionCursor).seek(doc));
      if (status[c] === PHRASE_YES || found === ABSENT) continue;
      if (found === UNKNOWN) status[c] = PHRASE_UNKNOWN;
      else if (consecutive(cursors, counts, pointers)) status[c] = PHRASE_YES;
    }
  }
  return status;
}

/** Per list, the byte offset of each posting's positions (one pass over them, kept while the list is). */
const startsCache = new WeakMap<Postings, Uint32Array | null>();

function positionStarts(list: Postings): Uint32Array | null {
  const known = startsCache.get(list);
  if (known !== undefined) return known;
  const { tfs, positions } = list;
  let starts: Uint32Array | null = null;
  if (positions) {
    starts = new Uint32Array(tfs.length);
    let at = 0;
    for (let i = 0; i < tfs.length; i++) {
      starts[i] = at;
      let n = tfs[i] ?? 0;
      if (n >= CAPPED_TF) {
        starts = null;
        break;
      }
      while (n > 0) if ((positions[at++] ?? 0) < 0x80) n--;
    }
  }
  startsCache.set(list, starts);
  return starts;
}

/** Positions of `doc` in one word's lists of one field, into `out`: how many, ABSENT or UNKNOWN. */
function positionsAt(lists: readonly Postings[], doc: number, out: { positions: Uint32Array }): number {
  for (const list of lists) {
    const ids = list.docIds;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ids[mid] ?? 0) < doc) lo = mid + 1;
      else hi = mid;
    }
    if (ids[lo] !== doc) continue;
    const starts = positionStarts(list);
    const positions = list.positions;
    if (!starts || !positions) return UNKNOWN;
    const tf = list.tfs[lo] ?? 0;
    readPositions(positions, starts[lo] ?? 0, tf, out);
    return tf;
  }
  return ABSENT;
}

/**
 * phraseStatus for a few candidates in any order (the best ranked first): each is looked up in the lists
 * (binary search) instead of walking them, so checking the top of a ranking does not read a common word's whole
 * list. The first look-up in a list indexes where each posting's positions start (kept while the list is cached).
 */
export function phraseStatusOf(
  phrase: readonly string[],
  wordPostings: readonly ReadonlyMap<FieldCode, readonly Postings[]>[],
  fields: readonly FieldCode[],
  candidates: ArrayLike<number>,
): Uint8Array {
  const status = new Uint8Array(candidates.length);
  if (phrase.length === 0) return status;
  const pointers = new Int32Array(phrase.length);
  const holders = phrase.map(() => ({ positions: new Uint32Array(16) }));
  const counts = new Array<number>(phrase.length).fill(0);
  for (const field of fields) {
    const lists = phrase.map((_, k) => wordPostings[k]?.get(field) ?? []);
    const order = rarestFirst(lists);
    for (let c = 0; c < candidates.length; c++) {
      if (status[c] === PHRASE_YES) continue;
      const doc = candidates[c] ?? 0;
      const found = lookUpWords(order, counts, (k) => positionsAt(lists[k] ?? [], doc, holders[k] as { positions: Uint32Array }));
      if (found === ABSENT) continue;
      if (found === UNKNOWN) status[c] = PHRASE_UNKNOWN;
      else if (consecutive(holders, counts, pointers)) status[c] = PHRASE_YES;
    }
  }
  return status;
}
