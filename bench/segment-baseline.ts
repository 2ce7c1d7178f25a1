/**
 * The keyword index's segment build as it was on main at 3a256ce (before the segment-build work of issue 11), kept
 * for bench/segment.bench.ts only: the bench times it against the product code in the same run and checks that
 * both give the same rows. Its tokenizer (scan, normalizeTerm) is that commit's too. Not used by the product. The only
 * change: the optional `phases` (timing laps at the same points as buildSegment's).
 */
import { PROVIDERS } from '../shared/model';
import { BUCKETS, FIELD_CODES, GROUPS, type IndexDoc, type SearchIndexRow, type SegmentPhases } from '../web/src/search/keyword-index';
import { MAX_TERM_LENGTH } from '../web/src/search/tokenize';

const MARKS = /\p{M}/gu;
const ASCII_WORD = /^[a-z0-9]+$/;

/**
 * Terms of words beyond ASCII, by the word as written. Lower-casing, NFKD and stripping marks cost a few microseconds
 * a word, and an export repeats its words endlessly: on a multilingual export this was the index build's largest
 * cost (chromium profile of an import). Cleared when full, so it stays a few MB at most.
 */
const wideTerms = new Map<string, string>();
const WIDE_TERMS_LIMIT = 50_000;

function normalizeTerm(word: string): string {
  const known = wideTerms.get(word);
  if (known !== undefined) return known;
  const lower = word.toLowerCase();
  if (ASCII_WORD.test(lower)) return lower;
  const term = lower.normalize('NFKD').replace(MARKS, '');
  if (wideTerms.size >= WIDE_TERMS_LIMIT) wideTerms.clear();
  wideTerms.set(word, term);
  return term;
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const SINGLE_CHAR_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/**
 * 0 = separator, 1 = word character, 2 = a word on its own (CJK); worked out once per code point above ASCII and
 * kept as kind + 1 (0: not yet) in a table for the Basic Multilingual Plane (64 KB), in a map beyond it.
 */
const bmpClasses = new Uint8Array(0x10000);
const astralClasses = new Map<number, number>();

function classOf(codePoint: number): number {
  const char = String.fromCodePoint(codePoint);
  return SINGLE_CHAR_WORD.test(char) ? 2 : WORD_CHAR.test(char) ? 1 : 0;
}

function classify(codePoint: number): number {
  if (codePoint < 128) return (codePoint >= 48 && codePoint <= 57) || (codePoint >= 65 && codePoint <= 90) || (codePoint >= 97 && codePoint <= 122) ? 1 : 0;
  if (codePoint < 0x10000) {
    const known = bmpClasses[codePoint] as number;
    if (known !== 0) return known - 1;
    const kind = classOf(codePoint);
    bmpClasses[codePoint] = kind + 1;
    return kind;
  }
  let kind = astralClasses.get(codePoint);
  if (kind === undefined) {
    kind = classOf(codePoint);
    astralClasses.set(codePoint, kind);
  }
  return kind;
}

/**
 * Calls `emit(start, end, ascii)` for every word (`ascii`: the word is plain ASCII, so its term has the same
 * length). A hand-written scan: a Unicode-class regex over the whole text cost more than everything else in
 * building the index.
 */
export function baselineScan(text: string, emit: (start: number, end: number, ascii: boolean) => void): void {
  let start = -1;
  let ascii = true;
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    const codePoint = code >= 0xd800 && code <= 0xdbff ? (text.codePointAt(i) ?? code) : code;
    const width = codePoint > 0xffff ? 2 : 1;
    const kind = classify(codePoint);
    if (kind === 1) {
      if (start < 0) {
        start = i;
        ascii = true;
      }
      if (codePoint >= 128) ascii = false;
    } else {
      if (start >= 0) {
        emit(start, i, ascii);
        start = -1;
      }
      if (kind === 2) emit(i, i + width, false);
    }
    i += width;
  }
  if (start >= 0) emit(start, text.length, ascii);
}


class ByteWriter {
  bytes = new Uint8Array(1024);
  length = 0;

  varint(value: number): void {
    if (this.length + 5 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }

  /** Room for `extra` more bytes. */
  ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  /** Appends raw bytes. */
  append(source: Uint8Array): void {
    if (this.length + source.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + source.length));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(source, this.length);
    this.length += source.length;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}


const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Interns the terms of texts (exactly `terms(text)`) as small integers without making a string per word: an ASCII
 * word is hashed and compared in place, lower-cased on the fly, and becomes a string only the first time it is
 * seen. Its hash is bucketOf's FNV-1a, so a term's bucket comes free. Measured (bench/search.bench.ts): a Map
 * lookup of a sliced, lower-cased string per word cost three times the tokenizing.
 */
class TermInterner {
  readonly terms: string[] = [];
  private hashes = new Uint32Array(4096);
  /** Open addressing: term id + 1 per slot, 0 when empty. */
  private slots = new Int32Array(1 << 14);

  bucket(id: number): number {
    return (this.hashes[id] ?? 0) % BUCKETS;
  }

  /** Calls `visit(id)` for each term of `text`, in order; returns how many. */
  each(text: string, visit: (id: number) => void): number {
    let count = 0;
    baselineScan(text, (start, end, ascii) => {
      if (end - start > MAX_TERM_LENGTH) return;
      let id: number;
      if (ascii) id = this.asciiWord(text, start, end);
      else {
        const term = normalizeTerm(text.slice(start, end));
        if (term.length === 0) return;
        id = this.term(term);
      }
      count++;
      visit(id);
    });
    return count;
  }

  private asciiWord(text: string, start: number, end: number): number {
    let hash = FNV_OFFSET;
    for (let i = start; i < end; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      hash ^= c;
      hash = Math.imul(hash, FNV_PRIME);
    }
    hash >>>= 0;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] ?? 0;
      if (entry === 0) return this.add(text.slice(start, end).toLowerCase(), hash, slot);
      const id = entry - 1;
      if (this.hashes[id] !== hash) continue;
      const term = this.terms[id] ?? '';
      if (term.length !== end - start) continue;
      let same = true;
      for (let k = 0; k < term.length && same; k++) {
        let c = text.charCodeAt(start + k);
        if (c >= 65 && c <= 90) c += 32;
        same = c === term.charCodeAt(k);
      }
      if (same) return id;
    }
  }

  /** The id of a term seen before (or a new id for a new one). */
  idOf(term: string): number {
    return this.term(term);
  }

  private term(term: string): number {
    let hash = FNV_OFFSET;
    for (let i = 0; i < term.length; i++) {
      hash ^= term.charCodeAt(i);
      hash = Math.imul(hash, FNV_PRIME);
    }
    hash >>>= 0;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] ?? 0;
      if (entry === 0) return this.add(term, hash, slot);
      if (this.terms[entry - 1] === term) return entry - 1;
    }
  }

  private add(term: string, hash: number, slot: number): number {
    const id = this.terms.length;
    this.terms.push(term);
    if (id >= this.hashes.length) {
      const hashes = new Uint32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[id] = hash;
    this.slots[slot] = id + 1;
    if (this.terms.length * 2 > this.slots.length) {
      // Keep the table at most half full.
      const slots = new Int32Array(this.slots.length * 2);
      const mask = slots.length - 1;
      for (let i = 0; i < this.terms.length; i++) {
        let at = (this.hashes[i] ?? 0) & mask;
        while (slots[at] !== 0) at = (at + 1) & mask;
        slots[at] = i + 1;
      }
      this.slots = slots;
    }
    return id;
  }
}

/** Field codes in the order their keys sort (`a…` < `h…` < `x…`), with their slot in FIELD_CODES. */
const FIELDS_BY_KEY = FIELD_CODES.map((field, slot) => ({ field, slot })).sort((x, y) => (x.field < y.field ? -1 : 1));

/** Adds one to `array[i]`, returning the value before. */
function bump(array: Uint32Array, i: number): number {
  const value = array[i] ?? 0;
  array[i] = value + 1;
  return value;
}

function grown<T extends Uint32Array | Int32Array>(array: T, size: number, make: (n: number) => T): T {
  if (size <= array.length) return array;
  const next = make(Math.max(size, array.length * 2));
  next.set(array);
  return next;
}

/**
 * Builds every row of one segment from documents sorted by docId (pure: no I/O). Measured (bench/search.bench.ts
 * prints the breakdown): postings kept as one small array per term and field, in sparse arrays, cost ten times
 * the tokenizing; here every posting is three numbers in flat typed arrays, sorted by (term, field) with one
 * counting sort, and every group row is encoded in one pass over the terms in key order.
 */
export function baselineBuildSegment(docs: readonly IndexDoc[], seg: number, phases?: SegmentPhases): { rows: SearchIndexRow[]; lengths: [number, number, number] } {
  // Timing laps (bench only), at the same points as buildSegment's.
  let clock = phases ? performance.now() : 0;
  const lap = (phase: keyof SegmentPhases): void => {
    if (!phases) return;
    const now = performance.now();
    phases[phase] += now - clock;
    clock = now;
  };
  // Terms are interned to small integers so the hot loop touches typed arrays, not string-keyed maps.
  const interner = new TermInterner();
  let df = new Uint32Array(4096);
  let lastDoc = new Int32Array(4096).fill(-1);
  let tfOf = new Uint32Array(4096);
  // One entry per (document, field, term): key = term * 3 + field slot, the document's index, the term frequency.
  let postingKey = new Uint32Array(65_536);
  let postingDoc = new Uint32Array(65_536);
  let postingTf = new Uint32Array(65_536);
  /** Where each posting's positions start in `positionOf` (filled field by field, by a counting scatter). */
  let postingPos = new Uint32Array(65_536);
  let postings = 0;
  let positionOf = new Uint32Array(262_144);
  let positionCount = 0;
  /** The current field's term ids in order, and each term's next free slot in `positionOf`. */
  let fieldTokens = new Uint32Array(4096);
  let fieldLength = 0;
  let slotOf = new Uint32Array(4096);
  const touched: number[] = [];
  const lengths: [number, number, number] = [0, 0, 0];
  const docIds = new Uint32Array(docs.length);
  const provider = new Uint8Array(docs.length);
  const createdAt = new Float64Array(docs.length);
  const active = new Uint8Array(docs.length);
  const docLengths = new Uint32Array(docs.length * 3);
  const conversations: string[] = [];
  const conversationIndex = new Map<string, number>();
  const conversationOf = new Uint32Array(docs.length);
  const nodeIds: string[] = [];
  const visit = (id: number): void => {
    if (id >= df.length) {
      df = grown(df, id + 1, (n) => new Uint32Array(n));
      tfOf = grown(tfOf, id + 1, (n) => new Uint32Array(n));
      const before = lastDoc.length;
      lastDoc = grown(lastDoc, id + 1, (n) => new Int32Array(n));
      lastDoc.fill(-1, before);
      slotOf = grown(slotOf, id + 1, (n) => new Uint32Array(n));
    }
    if (tfOf[id] === 0) touched.push(id);
    tfOf[id] = (tfOf[id] ?? 0) + 1;
    if (fieldLength === fieldTokens.length) fieldTokens = grown(fieldTokens, fieldLength + 1, (n) => new Uint32Array(n));
    fieldTokens[fieldLength++] = id;
  };

  for (let d = 0; d < docs.length; d++) {
    const doc = docs[d] as IndexDoc;
    docIds[d] = doc.docId;
    nodeIds.push(doc.nodeId);
    provider[d] = PROVIDERS.indexOf(doc.provider);
    createdAt[d] = doc.createdAt ?? Number.NaN;
    active[d] = doc.active ? 1 : 0;
    let conv = conversationIndex.get(doc.conversationId);
    if (conv === undefined) {
      conv = conversations.length;
      conversations.push(doc.conversationId);
      conversationIndex.set(doc.conversationId, conv);
    }
    conversationOf[d] = conv;
    for (let f = 0; f < 3; f++) {
      fieldLength = 0;
      const count = interner.each(f === 0 ? doc.human : f === 1 ? doc.assistant : doc.hidden, visit);
      docLengths[d * 3 + f] = count;
      lengths[f as 0 | 1 | 2] += count;
      if (postings + touched.length > postingKey.length) {
        const size = postings + touched.length;
        postingKey = grown(postingKey, size, (n) => new Uint32Array(n));
        postingDoc = grown(postingDoc, size, (n) => new Uint32Array(n));
        postingTf = grown(postingTf, size, (n) => new Uint32Array(n));
        postingPos = grown(postingPos, size, (n) => new Uint32Array(n));
      }
      if (positionCount + fieldLength > positionOf.length) positionOf = grown(positionOf, positionCount + fieldLength, (n) => new Uint32Array(n));
      for (const id of touched) {
        const tf = tfOf[id] ?? 0;
        postingKey[postings] = id * 3 + f;
        postingDoc[postings] = d;
        postingTf[postings] = tf;
        postingPos[postings] = positionCount;
        slotOf[id] = positionCount;
        positionCount += tf;
        postings++;
        tfOf[id] = 0;
        if (lastDoc[id] !== d) {
          lastDoc[id] = d;
          df[id] = (df[id] ?? 0) + 1;
        }
      }
      // Each word's positions, in order, in its posting's slots.
      for (let k = 0; k < fieldLength; k++) {
        const id = fieldTokens[k] ?? 0;
        const slot = slotOf[id] ?? 0;
        positionOf[slot] = k;
        slotOf[id] = slot + 1;
      }
      touched.length = 0;
    }
  }
  const termList = interner.terms;
  lap('collect');

  // Counting sort by key; documents stay in ascending order within each key.
  const keyCount = termList.length * 3;
  const keyStart = new Uint32Array(keyCount + 1);
  for (let i = 0; i < postings; i++) bump(keyStart, (postingKey[i] ?? 0) + 1);
  for (let k = 0; k < keyCount; k++) keyStart[k + 1] = (keyStart[k + 1] ?? 0) + (keyStart[k] ?? 0);
  const cursor = keyStart.slice(0, keyCount);
  const order = new Uint32Array(postings);
  for (let i = 0; i < postings; i++) order[bump(cursor, postingKey[i] ?? 0)] = i;

  lap('order');

  // Terms in key order, grouped by row (a stable counting sort keeps each group's terms sorted).
  const sortedTerms = [...termList].sort();
  const sortedIds = Uint32Array.from(sortedTerms, (term) => interner.idOf(term));
  const groupStart = new Uint32Array(GROUPS + 1);
  const groupOfSorted = new Uint32Array(sortedTerms.length);
  sortedIds.forEach((id, i) => {
    const group = interner.bucket(id) % GROUPS;
    groupOfSorted[i] = group;
    bump(groupStart, group + 1);
  });
  for (let g = 0; g < GROUPS; g++) groupStart[g + 1] = (groupStart[g + 1] ?? 0) + (groupStart[g] ?? 0);
  const groupCursor = groupStart.slice(0, GROUPS);
  const byGroup = new Uint32Array(sortedTerms.length);
  for (let i = 0; i < sortedTerms.length; i++) byGroup[bump(groupCursor, groupOfSorted[i] ?? 0)] = sortedIds[i] ?? 0;

  lap('sort');

  const rows: SearchIndexRow[] = [];
  const writer = new ByteWriter();
  const positionWriter = new ByteWriter();
  for (let g = 0; g < GROUPS; g++) {
    const from = groupStart[g] ?? 0;
    const to = groupStart[g + 1] ?? 0;
    if (from === to) continue;
    writer.length = 0;
    // Every position of the segment fits (5 bytes each at most), so the loop below writes without checking.
    positionWriter.length = 0;
    positionWriter.ensure(5 * positionCount);
    const positionBytes = positionWriter.bytes;
    let positionLength = 0;
    const keys: string[] = [];
    const offsets: number[] = [];
    const positionOffsets: number[] = [];
    for (const { field, slot } of FIELDS_BY_KEY) {
      for (let t = from; t < to; t++) {
        const id = byGroup[t] ?? 0;
        const key = id * 3 + slot;
        const first = keyStart[key] ?? 0;
        const last = keyStart[key + 1] ?? 0;
        if (first === last) continue;
        keys.push(field + (termList[id] ?? ''));
        offsets.push(writer.length);
        positionOffsets.push(positionLength);
        writer.varint(last - first);
        // Two varints of at most 5 bytes per posting, written in place (a method call per varint showed in profiles).
        writer.ensure(10 * (last - first));
        const bytes = writer.bytes;
        let length = writer.length;
        let previous = 0;
        for (let p = first; p < last; p++) {
          const at = order[p] ?? 0;
          const doc = docIds[postingDoc[at] ?? 0] ?? 0;
          const tf = postingTf[at] ?? 0;
          let v = doc - previous;
          while (v >= 0x80) {
            bytes[length++] = (v & 0x7f) | 0x80;
            v >>>= 7;
          }
          bytes[length++] = v;
          v = tf;
          while (v >= 0x80) {
            bytes[length++] = (v & 0x7f) | 0x80;
            v >>>= 7;
          }
          bytes[length++] = v;
          previous = doc;
          // The posting's positions: the first as it is, then gaps (room for all of them was made below).
          let before = 0;
          const end = (postingPos[at] ?? 0) + tf;
          for (let i = postingPos[at] ?? 0; i < end; i++) {
            const value = positionOf[i] ?? 0;
            let gap = value - before;
            before = value;
            while (gap >= 0x80) {
              positionBytes[positionLength++] = (gap & 0x7f) | 0x80;
              gap >>>= 7;
            }
            positionBytes[positionLength++] = gap;
          }
        }
        writer.length = length;
      }
    }
    offsets.push(writer.length);
    positionOffsets.push(positionLength);
    positionWriter.length = positionLength;
    rows.push({
      part: `g${g}`,
      seg,
      kind: 'postings',
      keys: keys.join('\n'),
      offsets: Uint32Array.from(offsets),
      data: writer.finish(),
      positions: positionWriter.finish(),
      positionOffsets: Uint32Array.from(positionOffsets),
    });
  }
  rows.push({ part: 'lex', seg, kind: 'lexicon', terms: sortedTerms.join('\n'), df: Uint32Array.from(sortedIds, (id) => df[id] ?? 0) });
  rows.push({ part: 'docs', seg, kind: 'docs', docIds, provider, createdAt, active, lengths: docLengths, conversations, conversationOf, nodeIds: nodeIds.join('\n') });
  lap('encode');
  return { rows, lengths };
}

