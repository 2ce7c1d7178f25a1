/**
 * The persisted keyword index: an inverted index built incrementally at import time and stored in IndexedDB in
 * compact, immutable segments, so opening the app never rebuilds it and a query loads only the rows it needs.
 *
 * Layout of the `searchIndex` table (primary key [part, seg]):
 *   ['stats', 0]        document count, total field lengths (BM25 averages), next docId, next segment number
 *   ['g<group>', seg]   postings of every term whose bucket is <group> mod GROUPS, added by segment <seg> (an
 *                       import batch or a sync write): sorted keys `<field><term>` + varint-encoded (docId delta,
 *                       term frequency) lists, and each posting's word positions (quoted phrases; absent in rows
 *                       from before them, which readers check against the text instead)
 *   ['p<bucket>', seg]  the same for the terms hashing to <bucket> (of BUCKETS), written by compaction (vaults
 *                       from before group rows also hold one per bucket and segment; readers read both kinds)
 *   ['lex', seg]        the terms of segment <seg> with their document frequency (prefix expansion)
 *   ['docs', seg]       per-document facts used by ranking and filters (provider, time, conversation, lengths), and
 *                       where each node is stored (its node id and chunk row: the page of hits is read by chunk number)
 * One import batch appends one segment (all its rows) in the same transaction as the nodes it indexes.
 * `compactSearchIndex` later merges each part's segments into one (splitting group rows into bucket rows),
 * replacing them in one transaction per group of parts.
 * Fields: h = the human's words, a = the assistant's reply, x = hidden parts (thinking, tool calls, system and
 * custom instructions, citations, attachment text).
 *
 * Public API:
 *   nodeToIndexDoc(node: NodeRow, stored?: { chunk }): IndexDoc
 *   readIndexStats(table): Promise<StatsRow>
 *   appendToSearchIndex(table, stats: StatsRow, docs: IndexDoc[]): Promise<StatsRow>   // inside a rw transaction
 *   prepareSegment(docs: IndexDoc[], at: IndexPosition): PreparedSegment               // pure: build before the transaction
 *   appendPreparedSegment(table, stats, prepared): Promise<StatsRow> | null             // inside it; null when the index moved on
 *   backfillSearchIndex(table, nodes: NodeRow[]): Promise<void>                         // nodes already numbered
 *   removeFromSearchIndex(table, docIds: number[]): Promise<StatsRow>                   // inside a rw transaction
 *   compactSearchIndex(db: CompactableSearchIndex, options?): Promise<{ partsMerged: number }>   // a VaultDatabase, or the CLI's SQLite
 *   writeWarmSnapshot(table, store): Promise<boolean>   // the whole index as one Blob now (after an import's merge)
 *   class KeywordIndexReader   // query-side cache over the table (used by keyword-search.ts)
 *     constructor(table: () => SearchIndexTable, hotPostings = HOT_POSTINGS, snapshots?: { store, idleMs })
 *     stats(); readStats(); adopt(stats); known   // statistics: read and adopted, read only, adopted, last adopted
 *   boundedEditDistance(a, b, maxDistance): number      // typo fallback
 */
import Dexie from 'dexie';
import { PROVIDERS, type Provider } from '../../../shared/model';
import type { NodeRow } from '../db/database';
import type { CompactableSearchIndex, SearchIndexTable } from './index-table';
import { WARM_SNAPSHOT_ID, packPostings, unpackPostings, type WarmSnapshotStore } from './warm-snapshot';
import type { TitleLogRow } from './title-index';
import { MAX_TERM_LENGTH, classify, normalizeTerm, wordEnd } from './tokenize';
import { appendAll, maxOf } from '../../../shared/arrays';

export const BUCKETS = 512;
/**
 * A new segment writes its postings as GROUPS rows (part `g<bucket % GROUPS>`), not one row per bucket: a batch
 * then writes ~35 rows instead of ~515, and compaction reads and deletes as many fewer (bench/search.bench.ts
 * measured the per-row cost of IndexedDB as a third of ingest). Compaction splits them into `p<bucket>` rows.
 */
export const GROUPS = 32;
export const FIELD_CODES = ['h', 'a', 'x'] as const;
export type FieldCode = (typeof FIELD_CODES)[number];

export interface StatsRow {
  part: 'stats';
  seg: 0;
  kind: 'stats';
  /** Changes when the vault is deleted, so query caches know to drop everything. */
  generation: number;
  docCount: number;
  /** Total tokens per field (h, a, x) over all documents: BM25 average lengths. */
  totalLength: [number, number, number];
  nextDocId: number;
  nextSeg: number;
}

export interface PostingsRow {
  part: string;
  seg: number;
  kind: 'postings';
  /** Sorted `<field code><term>` keys joined by '\n' (one string clones far faster than thousands). */
  keys: string;
  /** keys.length + 1 byte offsets into `data`. */
  offsets: Uint32Array;
  /** Per key: count, then (docId delta, tf) pairs, all unsigned LEB128 varints. */
  data: Uint8Array;
  /**
   * Word positions (absent in rows written before them): per key, for each posting in order, its tf positions
   * in the field (token index as `terms` counts them), the first absolute and the others as gaps, varints.
   * Quoted phrases are verified from these instead of the stored text.
   */
  positions?: Uint8Array;
  /** keys.length + 1 byte offsets into `positions`; an empty range means this key's positions are unknown. */
  positionOffsets?: Uint32Array;
}

export interface LexiconRow {
  part: 'lex';
  seg: number;
  kind: 'lexicon';
  /** Sorted terms joined by '\n'. */
  terms: string;
  /** Documents of this segment containing the term in any field. */
  df: Uint32Array;
}

export interface DocsRow {
  part: 'docs';
  seg: number;
  kind: 'docs';
  docIds: Uint32Array;
  /** Index into PROVIDERS. */
  provider: Uint8Array;
  /** Epoch ms, NaN when unknown. */
  createdAt: Float64Array;
  active: Uint8Array;
  /** 3 per document: token counts of fields h, a, x. */
  lengths: Uint32Array;
  conversations: string[];
  conversationOf: Uint32Array;
  /** Node id (content hash) of each document joined by '\n': hits are read by primary key, never by a docId cursor. */
  nodeIds: string;
  /**
   * The number of the chunk row each document's node is stored in (db/node-store.ts), 0 when not known (rows
   * written before chunks were recorded, or a store without chunks): a page of hits then reads its chunks by
   * primary key instead of looking each node up by index. Absent in rows written before it existed.
   */
  chunks?: Int32Array;
}

/** TitleLogRow: conversation titles (part `titles`, title-index.ts), kept beside the index in the same table. */
export type SearchIndexRow = StatsRow | PostingsRow | LexiconRow | DocsRow | TitleLogRow;
export type { SearchIndexTable } from './index-table';

/** What the index needs to know about one node. */
export interface IndexDoc {
  docId: number;
  nodeId: string;
  /** The node's chunk row (db/node-store.ts), when the writer knows it; 0 or absent otherwise. */
  chunk?: number;
  conversationId: string;
  provider: Provider;
  createdAt: number | null;
  active: boolean;
  human: string;
  assistant: string;
  hidden: string;
}

export function hiddenText(node: NodeRow): string {
  const parts: string[] = [
    ...node.extras.thinking,
    ...node.extras.system,
    ...node.extras.customInstructions,
    ...node.extras.citations,
  ];
  for (const call of node.extras.toolCalls) parts.push(call.name, call.input, call.output ?? '');
  for (const attachment of node.attachments) parts.push(attachment.name, attachment.text ?? '');
  return parts.join('\n');
}

/** `stored.chunk`: the chunk row that stores the node (db/node-store.ts), when known. */
export function nodeToIndexDoc(node: NodeRow, stored: { chunk?: number | undefined } = {}): IndexDoc {
  return {
    docId: node.docId,
    nodeId: node.id,
    chunk: stored.chunk ?? 0,
    conversationId: node.conversationId,
    provider: node.provider,
    createdAt: node.createdAt,
    active: node.active,
    human: node.human.text,
    assistant: node.assistant?.text ?? '',
    hidden: hiddenText(node),
  };
}

export function bucketOf(term: string): number {
  // FNV-1a: cheap and stable across browsers and versions (the bucket is persisted).
  let hash = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    hash ^= term.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

export function postingsPart(term: string): string {
  return `p${bucketOf(term)}`;
}

/** The part of the not yet compacted segments' postings of `term`. */
export function groupPart(term: string): string {
  return `g${bucketOf(term) % GROUPS}`;
}

// ---- varints -------------------------------------------------------------------------------------------------

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

export interface Postings {
  docIds: Uint32Array;
  tfs: Uint16Array;
  /** The list's word positions (see PostingsRow.positions); absent or null when the row has none for it. */
  positions?: Uint8Array | null;
}

function decodePostings(data: Uint8Array, start: number): Postings {
  let pos = start;
  const read = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = data[pos++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const count = read();
  const docIds = new Uint32Array(count);
  const tfs = new Uint16Array(count);
  let doc = 0;
  for (let i = 0; i < count; i++) {
    doc += read();
    docIds[i] = doc;
    tfs[i] = Math.min(read(), 0xffff);
  }
  return { docIds, tfs, positions: null };
}

function encodePostings(writer: ByteWriter, docIds: ArrayLike<number>, tfs: ArrayLike<number>): void {
  writer.varint(docIds.length);
  let previous = 0;
  for (let i = 0; i < docIds.length; i++) {
    const doc = docIds[i] ?? 0;
    writer.varint(doc - previous);
    writer.varint(tfs[i] ?? 0);
    previous = doc;
  }
}

function lowerBound(sorted: readonly string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const splitCache = new WeakMap<object, string[]>();

/** The joined string fields of a row as an array, split once per row object (rows are immutable and cached). */
function split(row: PostingsRow | LexiconRow | DocsRow): string[] {
  let parts = splitCache.get(row);
  if (!parts) {
    const text = row.kind === 'postings' ? row.keys : row.kind === 'lexicon' ? row.terms : row.nodeIds;
    parts = text === '' ? [] : text.split('\n');
    splitCache.set(row, parts);
  }
  return parts;
}

export function postingsFor(row: PostingsRow, key: string): Postings | null {
  const keys = split(row);
  const i = lowerBound(keys, key);
  if (keys[i] !== key) return null;
  const postings = decodePostings(row.data, row.offsets[i] ?? 0);
  const from = row.positionOffsets?.[i] ?? 0;
  const to = row.positionOffsets?.[i + 1] ?? 0;
  if (row.positions && to > from) postings.positions = row.positions.subarray(from, to);
  return postings;
}

function encodePostingsRow(part: string, seg: number, lists: Map<string, { docIds: number[]; tfs: number[] }>): PostingsRow {
  const keys = [...lists.keys()].sort();
  const offsets = new Uint32Array(keys.length + 1);
  const writer = new ByteWriter();
  keys.forEach((key, i) => {
    offsets[i] = writer.length;
    const list = lists.get(key);
    if (list) encodePostings(writer, list.docIds, list.tfs);
  });
  offsets[keys.length] = writer.length;
  return { part, seg, kind: 'postings', keys: keys.join('\n'), offsets, data: writer.finish() };
}

// ---- building segments ---------------------------------------------------------------------------------------

export function emptyStats(generation: number): StatsRow {
  return { part: 'stats', seg: 0, kind: 'stats', generation, docCount: 0, totalLength: [0, 0, 0], nextDocId: 1, nextSeg: 1 };
}

function newGeneration(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
}

export async function readIndexStats(table: SearchIndexTable): Promise<StatsRow> {
  const row = await table.get(['stats', 0]);
  return row?.kind === 'stats' ? row : emptyStats(newGeneration());
}

/**
 * The index's statistics as one string: every write of the index (a segment, a compaction, a deletion, a node
 * replaced) changes it, so what was read under one version is still what is stored while it stays the same.
 */
export function indexVersion(stats: StatsRow): string {
  return `${stats.generation}:${stats.nextSeg}:${stats.nextDocId}:${stats.docCount}:${stats.totalLength.join(',')}`;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Numbers per slot of TermInterner's table. */
const SLOT = 4;

/** Per ASCII code: its lower case when it is a letter or a digit (a word character), else 0. */
const ASCII_WORD_CODE = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_WORD_CODE[c] = c;
for (let c = 65; c <= 90; c++) ASCII_WORD_CODE[c] = c + 32;
for (let c = 97; c <= 122; c++) ASCII_WORD_CODE[c] = c;

function grownTo<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(array: T, size: number, make: (n: number) => T): T {
  if (size <= array.length) return array;
  const next = make(Math.max(size, array.length * 2));
  next.set(array);
  return next;
}

/**
 * Interns the terms of texts (exactly `terms(text)`) as small integers without making a string per word. Its own
 * scan reads each character once: an ASCII word is hashed and lower-cased as it is read and compared in place
 * with the known terms' code units, and becomes a string only the first time it is seen; a word beyond ASCII takes
 * tokenize.ts's path (wordEnd, normalizeTerm). The hash is bucketOf's FNV-1a, so a term's bucket comes free.
 * Measured (bench/segment.bench.ts): scan() with a callback per word, then hashing and comparing the word again,
 * cost half of building a segment.
 */
class TermInterner {
  readonly terms: string[] = [];
  /** The term ids of the last text read, in order (read()'s count of them). */
  ids = new Uint32Array(4096);
  private hashes = new Uint32Array(4096);
  /** Every term's code units, one after the other: term `id` is [charStart[id], charStart[id + 1]). */
  private chars = new Uint16Array(65_536);
  private charStart = new Uint32Array(4097);
  /**
   * Open addressing, SLOT numbers a slot: term id + 1 (0 when empty), its hash, and for a term of at most 8 code
   * units all below 256, those code units packed 8 bits each into two numbers (else 0, 0). A word of at most 8
   * ASCII letters and digits is then found with one slot read: its packed code units are the word itself.
   */
  private slots = new Int32Array(SLOT << 14);
  /** The number of slots - 1 (a power of two - 1). */
  private mask = (1 << 14) - 1;

  /**
   * Forgets every term, keeping the arrays (and the table's size): buildSegment reuses one interner from batch to
   * batch, since a fresh typed array costs its pages again (see SegmentScratch).
   */
  reset(): void {
    this.terms.length = 0;
    this.charStart[0] = 0;
    this.slots.fill(0);
  }

  /** Bytes held by the interner's arrays. */
  get bytes(): number {
    return this.ids.byteLength + this.hashes.byteLength + this.chars.byteLength + this.charStart.byteLength + this.slots.byteLength;
  }

  bucket(id: number): number {
    return (this.hashes[id] ?? 0) % BUCKETS;
  }

  /** The term ids in the order of their strings (the default string sort's). */
  sortedIds(): Uint32Array {
    return sortByCodeUnits(this.terms.length, this.chars, this.charStart);
  }

  /** Puts the ids of the terms of `text` in `ids`, in order; returns how many. */
  read(text: string): number {
    const n = text.length;
    // A text has at most one term per character (and `ids` is grown only here).
    if (n > this.ids.length) this.ids = grownTo(this.ids, n, (size) => new Uint32Array(size));
    const ids = this.ids;
    let count = 0;
    let i = 0;
    while (i < n) {
      let code = text.charCodeAt(i);
      if (code < 128) {
        let lower = ASCII_WORD_CODE[code] ?? 0;
        if (lower === 0) {
          i++;
          continue;
        }
        // An ASCII word, hashed and packed (its last 8 code units, in lower case) as it is read.
        const start = i;
        let hash = FNV_OFFSET;
        let low = 0;
        let high = 0;
        do {
          hash = Math.imul(hash ^ lower, FNV_PRIME);
          high = (high << 8) | (low >>> 24);
          low = (low << 8) | lower;
          i++;
          code = i < n ? text.charCodeAt(i) : 0;
          lower = code < 128 ? (ASCII_WORD_CODE[code] ?? 0) : 0;
        } while (lower !== 0);
        if (code >= 128) {
          const codePoint = code >= 0xd800 && code <= 0xdbff ? (text.codePointAt(i) ?? code) : code;
          if (classify(codePoint) === 1) {
            // The word goes on beyond ASCII: the general path for all of it.
            const end = wordEnd(text, i);
            const id = this.wideWord(text, start, end);
            if (id >= 0) ids[count++] = id;
            i = end;
            continue;
          }
        }
        if (i - start <= MAX_TERM_LENGTH) ids[count++] = this.asciiWord(text, start, i, hash >>> 0, low, high);
        continue;
      }
      const codePoint = code >= 0xd800 && code <= 0xdbff ? (text.codePointAt(i) ?? code) : code;
      const width = codePoint > 0xffff ? 2 : 1;
      const kind = classify(codePoint);
      if (kind === 0) i += width;
      else if (kind === 2) {
        const id = this.wideWord(text, i, i + width);
        if (id >= 0) ids[count++] = id;
        i += width;
      } else {
        const end = wordEnd(text, i);
        const id = this.wideWord(text, i, end);
        if (id >= 0) ids[count++] = id;
        i = end;
      }
    }
    return count;
  }

  /** The id of the word text[start, end) beyond ASCII, -1 when it has no term (too long, or nothing but marks). */
  private wideWord(text: string, start: number, end: number): number {
    if (end - start > MAX_TERM_LENGTH) return -1;
    const term = normalizeTerm(text.slice(start, end));
    return term.length === 0 ? -1 : this.term(term);
  }

  /** An ASCII word's id: `low` and `high` are its last 8 code units in lower case, packed (see `slots`). */
  private asciiWord(text: string, start: number, end: number, hash: number, low: number, high: number): number {
    const length = end - start;
    const slots = this.slots;
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slot * SLOT;
      const entry = slots[at] ?? 0;
      if (entry === 0) return this.add(text.slice(start, end).toLowerCase(), hash, slot);
      if (slots[at + 1] !== (hash | 0)) continue;
      if (length <= 8) {
        if (slots[at + 2] === low && slots[at + 3] === high) return entry - 1;
        continue;
      }
      const id = entry - 1;
      const from = this.charStart[id] ?? 0;
      if ((this.charStart[id + 1] ?? 0) - from !== length) continue;
      const chars = this.chars;
      let k = 0;
      while (k < length && chars[from + k] === ASCII_WORD_CODE[text.charCodeAt(start + k)]) k++;
      if (k === length) return id;
    }
  }

  private term(term: string): number {
    let hash = FNV_OFFSET;
    for (let i = 0; i < term.length; i++) {
      hash ^= term.charCodeAt(i);
      hash = Math.imul(hash, FNV_PRIME);
    }
    hash >>>= 0;
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot * SLOT] ?? 0;
      if (entry === 0) return this.add(term, hash, slot);
      if (this.terms[entry - 1] === term) return entry - 1;
    }
  }

  private add(term: string, hash: number, slot: number): number {
    const id = this.terms.length;
    this.terms.push(term);
    this.hashes = grownTo(this.hashes, id + 1, (n) => new Uint32Array(n));
    this.charStart = grownTo(this.charStart, id + 2, (n) => new Uint32Array(n));
    this.hashes[id] = hash;
    const from = this.charStart[id] ?? 0;
    this.chars = grownTo(this.chars, from + term.length, (n) => new Uint16Array(n));
    let low = 0;
    let high = 0;
    let packable = term.length <= 8;
    for (let k = 0; k < term.length; k++) {
      const code = term.charCodeAt(k);
      this.chars[from + k] = code;
      packable &&= code < 256;
      high = (high << 8) | (low >>> 24);
      low = (low << 8) | code;
    }
    this.charStart[id + 1] = from + term.length;
    this.fill(this.slots, slot * SLOT, id, hash, packable ? low : 0, packable ? high : 0);
    if (this.terms.length * 2 > this.mask + 1) {
      // Keep the table at most half full.
      const old = this.slots;
      const slots = new Int32Array(old.length * 2);
      const mask = this.mask * 2 + 1;
      for (let at = 0; at < old.length; at += SLOT) {
        const entry = old[at] ?? 0;
        if (entry === 0) continue;
        let to = (old[at + 1] ?? 0) & mask;
        while (slots[to * SLOT] !== 0) to = (to + 1) & mask;
        this.fill(slots, to * SLOT, entry - 1, old[at + 1] ?? 0, old[at + 2] ?? 0, old[at + 3] ?? 0);
      }
      this.slots = slots;
      this.mask = mask;
    }
    return id;
  }

  private fill(slots: Int32Array, at: number, id: number, hash: number, low: number, high: number): void {
    slots[at] = id + 1;
    slots[at + 1] = hash;
    slots[at + 2] = low;
    slots[at + 3] = high;
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

/**
 * Ids of `terms` in the order of their strings as `Array.prototype.sort()` orders them (UTF-16 code units). See
 * sortByCodeUnits; this takes strings (tests).
 */
export function sortedTermIds(terms: readonly string[]): Uint32Array {
  const charStart = new Uint32Array(terms.length + 1);
  for (let i = 0; i < terms.length; i++) charStart[i + 1] = (charStart[i] ?? 0) + (terms[i] ?? '').length;
  const chars = new Uint16Array(charStart[terms.length] ?? 0);
  terms.forEach((term, i) => {
    const from = charStart[i] ?? 0;
    for (let k = 0; k < term.length; k++) chars[from + k] = term.charCodeAt(k);
  });
  return sortByCodeUnits(terms.length, chars, charStart);
}

/**
 * Ids 0 … count - 1 of strings given as code units (string `id` is chars[charStart[id], charStart[id + 1])) in
 * code unit order, as the default string sort orders them: a counting sort on the first code unit (ASCII), then a
 * three-way radix quicksort on the code units that follow (Bentley & Sedgewick). A segment's default string sort
 * of its ~15k terms was its largest single line (bench/segment.bench.ts).
 */
function sortByCodeUnits(count: number, chars: Uint16Array, charStart: Uint32Array): Uint32Array {
  /** The code unit of string `id` at `depth`, -1 past its end (so a prefix sorts first). */
  const codeAt = (id: number, depth: number): number => {
    const at = (charStart[id] ?? 0) + depth;
    return at < (charStart[id + 1] ?? 0) ? (chars[at] ?? 0) : -1;
  };
  // Buckets: 0 for the empty string, 1 + the first code unit below 128, 129 for the others (sorted from depth 0).
  const bucketOfId = (id: number): number => {
    const first = codeAt(id, 0);
    return first < 0 ? 0 : first < 128 ? first + 1 : 129;
  };
  const bucketStart = new Uint32Array(131);
  for (let id = 0; id < count; id++) bump(bucketStart, bucketOfId(id) + 1);
  for (let b = 0; b < 130; b++) bucketStart[b + 1] = (bucketStart[b + 1] ?? 0) + (bucketStart[b] ?? 0);
  const cursor = bucketStart.slice(0, 130);
  const ids = new Uint32Array(count);
  for (let id = 0; id < count; id++) ids[bump(cursor, bucketOfId(id))] = id;
  // Ranges still to sort, as (from, to, depth) triples: an explicit stack, since terms can share long prefixes.
  const stack: number[] = [];
  for (let b = 1; b < 130; b++) stack.push(bucketStart[b] ?? 0, bucketStart[b + 1] ?? 0, b < 129 ? 1 : 0);
  while (stack.length > 0) {
    const depth = stack.pop() ?? 0;
    const to = stack.pop() ?? 0;
    const from = stack.pop() ?? 0;
    if (to - from < 2) continue;
    if (to - from < 12) {
      // Insertion sort on what is left of the strings (they share their first `depth` code units).
      for (let i = from + 1; i < to; i++) {
        const id = ids[i] ?? 0;
        let j = i - 1;
        for (; j >= from; j--) {
          const other = ids[j] ?? 0;
          let d = depth;
          let x = codeAt(other, d);
          let y = codeAt(id, d);
          while (x === y && x >= 0) {
            d++;
            x = codeAt(other, d);
            y = codeAt(id, d);
          }
          if (x <= y) break;
          ids[j + 1] = other;
        }
        ids[j + 1] = id;
      }
      continue;
    }
    const pivot = codeAt(ids[(from + to) >>> 1] ?? 0, depth);
    // [from, lt) < pivot, [lt, i) = pivot, (gt, to) > pivot.
    let lt = from;
    let gt = to - 1;
    let i = from;
    while (i <= gt) {
      const id = ids[i] ?? 0;
      const code = codeAt(id, depth);
      if (code < pivot) {
        ids[i++] = ids[lt] ?? 0;
        ids[lt++] = id;
      } else if (code > pivot) {
        ids[i] = ids[gt] ?? 0;
        ids[gt--] = id;
      } else i++;
    }
    stack.push(from, lt, depth);
    // The equal range shares one more code unit; past the end of the strings they are all the same string.
    if (pivot >= 0) stack.push(lt, gt + 1, depth + 1);
    stack.push(gt + 1, to, depth);
  }
  return ids;
}

/**
 * buildSegment's working arrays, kept from one build to the next. Measured in Chromium 150 on this project's machines
 * (bench/segment.bench.ts, its Chromium part): a fresh typed array costs 3–7 ms per MB before its first use (its pages are
 * mapped and zeroed one fault at a time), whatever its size; node's allocator keeps its pages and pays ~0.2 ms. A
 * batch of 1,000 exchanges made ~11 MB of them, of which the segment's rows keep 0.7 MB. Grown as needed, never
 * shrunk; kept while it holds at most SCRATCH_KEPT_BYTES, and dropped SCRATCH_KEPT_MS after the last build (an
 * import builds one every few hundred ms; a sync pull or a compaction now and then).
 */
class SegmentScratch {
  readonly interner = new TermInterner();
  df = new Uint32Array(4096);
  lastDoc = new Int32Array(4096);
  tfOf = new Uint32Array(4096);
  slotOf = new Uint32Array(4096);
  postingKey = new Uint32Array(65_536);
  postingData = new Uint32Array(3 * 65_536 + 3);
  positionBytes = new Uint8Array(262_144);
  fieldPositions = new Uint32Array(4096);
  touched = new Uint32Array(4096);
  /** The postings in key order (four numbers each), the keys' starts and their cursors, the rows' key offsets. */
  sorted = new Uint32Array(4 * 65_536);
  keyStart = new Uint32Array(4096);
  cursor = new Uint32Array(4096);
  keyOffsets = new Uint32Array(4096);
  keyPositionOffsets = new Uint32Array(4096);
  readonly writer = new ByteWriter();
  readonly positionWriter = new ByteWriter();

  get bytes(): number {
    let total = this.interner.bytes + this.writer.bytes.byteLength + this.positionWriter.bytes.byteLength;
    for (const array of [this.df, this.lastDoc, this.tfOf, this.slotOf, this.postingKey, this.postingData, this.positionBytes, this.fieldPositions, this.touched, this.sorted, this.keyStart, this.cursor, this.keyOffsets, this.keyPositionOffsets]) {
      total += array.byteLength;
    }
    return total;
  }
}

/** The largest SegmentScratch kept between builds (a batch of 1,000 exchanges needs ~10 MB), and for how long. */
const SCRATCH_KEPT_BYTES = 48 * 1024 * 1024;
const SCRATCH_KEPT_MS = 20_000;
let keptScratch: SegmentScratch | null = null;
let scratchTimer: ReturnType<typeof setTimeout> | null = null;

/** The kept scratch (or a new one), emptied; a build that throws never gives it back, so none is shared by two. */
function takeScratch(): SegmentScratch {
  const scratch = keptScratch ?? new SegmentScratch();
  keptScratch = null;
  scratch.interner.reset();
  scratch.df.fill(0);
  scratch.lastDoc.fill(-1);
  scratch.tfOf.fill(0);
  scratch.writer.length = 0;
  scratch.positionWriter.length = 0;
  return scratch;
}

/** Drops the kept scratch: the next build allocates its arrays again (bench/segment.bench.ts compares both). */
export function releaseSegmentScratch(): void {
  keptScratch = null;
  if (scratchTimer !== null) clearTimeout(scratchTimer);
  scratchTimer = null;
}

function keepScratch(scratch: SegmentScratch): void {
  if (scratch.bytes > SCRATCH_KEPT_BYTES) return;
  keptScratch = scratch;
  if (scratchTimer !== null) clearTimeout(scratchTimer);
  scratchTimer = setTimeout(() => {
    keptScratch = null;
    scratchTimer = null;
  }, SCRATCH_KEPT_MS);
  // In node (the command-line device, tests) the timer must not keep the process alive.
  (scratchTimer as { unref?: () => void }).unref?.();
}

/** Where buildSegment's time goes, in ms (performance.now), added to by each call given one (bench/segment.bench.ts). */
export interface SegmentPhases {
  /** Tokenizing, interning the terms, and the postings and positions of every (document, field, term). */
  collect: number;
  /** Postings ordered by (term, field). */
  order: number;
  /** Terms in key order, grouped by row. */
  sort: number;
  /** Group rows (varints, positions), the lexicon and the docs row. */
  encode: number;
}

/**
 * Builds every row of one segment from documents sorted by docId (pure: no I/O). Measured (bench/search.bench.ts
 * prints the breakdown): postings kept as one small array per term and field, in sparse arrays, cost ten times
 * the tokenizing; here every posting is a few numbers in flat typed arrays, its positions already varint bytes,
 * moved into (term, field) order by one counting sort, and every group row is encoded in one pass over the terms
 * in key order. bench/segment.bench.ts times it (CPU per 1,000 nodes, by phase) against main's build before the
 * work of issue 11; tests/unit/search-segment.test.ts holds its rows to a plain reference, byte for byte.
 */
export function buildSegment(docs: readonly IndexDoc[], seg: number, phases?: SegmentPhases): { rows: SearchIndexRow[]; lengths: [number, number, number] } {
  let clock = phases ? performance.now() : 0;
  const lap = (phase: keyof SegmentPhases): void => {
    if (!phases) return;
    const now = performance.now();
    phases[phase] += now - clock;
    clock = now;
  };
  // Working arrays from the build before (SegmentScratch), emptied where they are read before written.
  const scratch = takeScratch();
  // Terms are interned to small integers so the hot loop touches typed arrays, not string-keyed maps.
  const interner = scratch.interner;
  let df = scratch.df;
  let lastDoc = scratch.lastDoc;
  let tfOf = scratch.tfOf;
  /** Each term's next free slot in `fieldPositions`, while its field's positions are scattered. */
  let slotOf = scratch.slotOf;
  // One posting per (document, field, term): its key (term * 3 + field slot), and three numbers side by side, read
  // together when the postings are encoded in key order: docId, term frequency, where its positions' bytes start.
  let postingKey = scratch.postingKey;
  let postingData = scratch.postingData;
  let postings = 0;
  /** Every posting's positions, already varint gaps (first as is), one posting after the other. */
  let positionBytes = scratch.positionBytes;
  let positionLength = 0;
  /** The current field's positions grouped by term (a counting scatter), and its distinct terms, first seen first. */
  let fieldPositions = scratch.fieldPositions;
  let touched = scratch.touched;
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
  const chunks = new Int32Array(docs.length);

  for (let d = 0; d < docs.length; d++) {
    const doc = docs[d] as IndexDoc;
    docIds[d] = doc.docId;
    nodeIds.push(doc.nodeId);
    chunks[d] = doc.chunk ?? 0;
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
      const count = interner.read(f === 0 ? doc.human : f === 1 ? doc.assistant : doc.hidden);
      const tokens = interner.ids;
      docLengths[d * 3 + f] = count;
      lengths[f as 0 | 1 | 2] += count;
      if (count === 0) continue;
      const termCount = interner.terms.length;
      if (termCount > df.length) {
        df = grownTo(df, termCount, (n) => new Uint32Array(n));
        tfOf = grownTo(tfOf, termCount, (n) => new Uint32Array(n));
        const before = lastDoc.length;
        lastDoc = grownTo(lastDoc, termCount, (n) => new Int32Array(n));
        lastDoc.fill(-1, before);
        slotOf = grownTo(slotOf, termCount, (n) => new Uint32Array(n));
      }
      touched = grownTo(touched, count, (n) => new Uint32Array(n));
      fieldPositions = grownTo(fieldPositions, count, (n) => new Uint32Array(n));
      let distinct = 0;
      for (let k = 0; k < count; k++) {
        const id = tokens[k] ?? 0;
        const tf = tfOf[id] ?? 0;
        if (tf === 0) touched[distinct++] = id;
        tfOf[id] = tf + 1;
      }
      // Each term's slots in fieldPositions, in the order first seen; then each word's position in its term's slots.
      let slot = 0;
      for (let t = 0; t < distinct; t++) {
        const id = touched[t] ?? 0;
        slotOf[id] = slot;
        slot += tfOf[id] ?? 0;
      }
      for (let k = 0; k < count; k++) {
        const id = tokens[k] ?? 0;
        const at = slotOf[id] ?? 0;
        fieldPositions[at] = k;
        slotOf[id] = at + 1;
      }
      postingKey = grownTo(postingKey, postings + distinct, (n) => new Uint32Array(n));
      postingData = grownTo(postingData, 3 * (postings + distinct + 1), (n) => new Uint32Array(n));
      // At most 5 bytes a position, so the loop below writes without checking.
      positionBytes = grownTo(positionBytes, positionLength + 5 * count, (n) => new Uint8Array(n));
      let end = 0;
      for (let t = 0; t < distinct; t++) {
        const id = touched[t] ?? 0;
        const tf = tfOf[id] ?? 0;
        postingKey[postings] = id * 3 + f;
        postingData[3 * postings] = doc.docId;
        postingData[3 * postings + 1] = tf;
        postingData[3 * postings + 2] = positionLength;
        postings++;
        tfOf[id] = 0;
        if (lastDoc[id] !== d) {
          lastDoc[id] = d;
          df[id] = (df[id] ?? 0) + 1;
        }
        // The posting's positions: the first as it is, then gaps.
        let before = 0;
        const from = end;
        end += tf;
        for (let i = from; i < end; i++) {
          const value = fieldPositions[i] ?? 0;
          let gap = value - before;
          before = value;
          while (gap >= 0x80) {
            positionBytes[positionLength++] = (gap & 0x7f) | 0x80;
            gap >>>= 7;
          }
          positionBytes[positionLength++] = gap;
        }
      }
    }
  }
  // Where the positions of the posting after the last would start: every posting's end is the next one's start.
  postingData = grownTo(postingData, 3 * postings + 3, (n) => new Uint32Array(n));
  postingData[3 * postings + 2] = positionLength;
  const termList = interner.terms;
  lap('collect');

  // Counting sort by key; documents stay in ascending order within each key.
  const keyCount = termList.length * 3;
  scratch.keyStart = grownTo(scratch.keyStart, keyCount + 1, (n) => new Uint32Array(n));
  const keyStart = scratch.keyStart;
  keyStart.fill(0, 0, keyCount + 1);
  for (let i = 0; i < postings; i++) bump(keyStart, (postingKey[i] ?? 0) + 1);
  for (let k = 0; k < keyCount; k++) keyStart[k + 1] = (keyStart[k + 1] ?? 0) + (keyStart[k] ?? 0);
  scratch.cursor = grownTo(scratch.cursor, keyCount, (n) => new Uint32Array(n));
  const cursor = scratch.cursor;
  cursor.set(keyStart.subarray(0, keyCount));
  // The postings' numbers moved into key order (writes far apart cost less than reads far apart when encoding), four
  // each: docId, term frequency, and the start and end of its positions' bytes.
  scratch.sorted = grownTo(scratch.sorted, 4 * postings, (n) => new Uint32Array(n));
  const sorted = scratch.sorted;
  for (let i = 0; i < postings; i++) {
    const to = 4 * bump(cursor, postingKey[i] ?? 0);
    const from = 3 * i;
    sorted[to] = postingData[from] ?? 0;
    sorted[to + 1] = postingData[from + 1] ?? 0;
    sorted[to + 2] = postingData[from + 2] ?? 0;
    sorted[to + 3] = postingData[from + 5] ?? 0;
  }
  lap('order');

  // Terms in key order, grouped by row (a stable counting sort keeps each group's terms sorted).
  const sortedIds = interner.sortedIds();
  const termCount = sortedIds.length;
  const groupStart = new Uint32Array(GROUPS + 1);
  const groupOfSorted = new Uint32Array(termCount);
  for (let i = 0; i < termCount; i++) {
    const group = interner.bucket(sortedIds[i] ?? 0) % GROUPS;
    groupOfSorted[i] = group;
    bump(groupStart, group + 1);
  }
  for (let g = 0; g < GROUPS; g++) groupStart[g + 1] = (groupStart[g + 1] ?? 0) + (groupStart[g] ?? 0);
  const groupCursor = groupStart.slice(0, GROUPS);
  const byGroup = new Uint32Array(termCount);
  for (let i = 0; i < termCount; i++) byGroup[bump(groupCursor, groupOfSorted[i] ?? 0)] = sortedIds[i] ?? 0;
  lap('sort');

  const rows: SearchIndexRow[] = [];
  const writer = scratch.writer;
  const positionWriter = scratch.positionWriter;
  // Every position of the segment fits, so the copies below write without checking.
  positionWriter.ensure(positionLength);
  const rowPositions = positionWriter.bytes;
  scratch.keyOffsets = grownTo(scratch.keyOffsets, 3 * termCount + 1, (n) => new Uint32Array(n));
  scratch.keyPositionOffsets = grownTo(scratch.keyPositionOffsets, 3 * termCount + 1, (n) => new Uint32Array(n));
  const keyOffsets = scratch.keyOffsets;
  const keyPositionOffsets = scratch.keyPositionOffsets;
  for (let g = 0; g < GROUPS; g++) {
    const from = groupStart[g] ?? 0;
    const to = groupStart[g + 1] ?? 0;
    if (from === to) continue;
    writer.length = 0;
    let rowPositionLength = 0;
    let keyCountOfRow = 0;
    // The keys of one field are `<field><term>`: joined by '\n' + field, each field's terms make its part of `keys`.
    const keyParts: string[] = [];
    for (const { field, slot } of FIELDS_BY_KEY) {
      const fieldTerms: string[] = [];
      for (let t = from; t < to; t++) {
        const id = byGroup[t] ?? 0;
        const key = id * 3 + slot;
        const first = keyStart[key] ?? 0;
        const last = keyStart[key + 1] ?? 0;
        if (first === last) continue;
        fieldTerms.push(termList[id] ?? '');
        keyOffsets[keyCountOfRow] = writer.length;
        keyPositionOffsets[keyCountOfRow] = rowPositionLength;
        keyCountOfRow++;
        writer.varint(last - first);
        // Two varints of at most 5 bytes per posting, written in place (a method call per varint showed in profiles).
        writer.ensure(10 * (last - first));
        const bytes = writer.bytes;
        let length = writer.length;
        let previous = 0;
        for (let at = 4 * first; at < 4 * last; at += 4) {
          const doc = sorted[at] ?? 0;
          let v = doc - previous;
          while (v >= 0x80) {
            bytes[length++] = (v & 0x7f) | 0x80;
            v >>>= 7;
          }
          bytes[length++] = v;
          v = sorted[at + 1] ?? 0;
          while (v >= 0x80) {
            bytes[length++] = (v & 0x7f) | 0x80;
            v >>>= 7;
          }
          bytes[length++] = v;
          previous = doc;
          // The posting's positions, as they were encoded while collecting.
          const end = sorted[at + 3] ?? 0;
          for (let i = sorted[at + 2] ?? 0; i < end; i++) rowPositions[rowPositionLength++] = positionBytes[i] ?? 0;
        }
        writer.length = length;
      }
      if (fieldTerms.length > 0) keyParts.push(field + fieldTerms.join(`\n${field}`));
    }
    keyOffsets[keyCountOfRow] = writer.length;
    keyPositionOffsets[keyCountOfRow] = rowPositionLength;
    positionWriter.length = rowPositionLength;
    rows.push({
      part: `g${g}`,
      seg,
      kind: 'postings',
      keys: keyParts.join('\n'),
      offsets: keyOffsets.slice(0, keyCountOfRow + 1),
      data: writer.finish(),
      positions: positionWriter.finish(),
      positionOffsets: keyPositionOffsets.slice(0, keyCountOfRow + 1),
    });
  }
  const sortedTerms: string[] = [];
  const lexDf = new Uint32Array(termCount);
  for (let i = 0; i < termCount; i++) {
    const id = sortedIds[i] ?? 0;
    sortedTerms.push(termList[id] ?? '');
    lexDf[i] = df[id] ?? 0;
  }
  rows.push({ part: 'lex', seg, kind: 'lexicon', terms: sortedTerms.join('\n'), df: lexDf });
  rows.push({ part: 'docs', seg, kind: 'docs', docIds, provider, createdAt, active, lengths: docLengths, conversations, conversationOf, nodeIds: nodeIds.join('\n'), chunks });
  lap('encode');
  Object.assign(scratch, { df, lastDoc, tfOf, slotOf, postingKey, postingData, positionBytes, fieldPositions, touched });
  keepScratch(scratch);
  return { rows, lengths };
}

/**
 * Appends one segment for `docs` (numbered from stats.nextDocId by the caller, ascending) and the updated stats.
 * Must run inside a read-write transaction that covers the searchIndex table and the node writes it indexes.
 */
export async function appendToSearchIndex(table: SearchIndexTable, stats: StatsRow, docs: readonly IndexDoc[]): Promise<StatsRow> {
  if (docs.length === 0) return stats;
  return writeSegment(table, stats, prepareSegment(docs, stats));
}

/** Where the next segment goes: the index's next docId and segment number (from its stats row). */
export interface IndexPosition {
  nextDocId: number;
  nextSeg: number;
}

/**
 * A segment built before its write transaction (pure CPU, so an import builds batch N+1 while IndexedDB commits
 * batch N). It is valid only at the position it was built for: see `appendPreparedSegment`.
 */
export interface PreparedSegment {
  at: IndexPosition;
  rows: SearchIndexRow[];
  lengths: [number, number, number];
  docCount: number;
  maxDocId: number;
}

/** Builds the segment of `docs` (numbered from at.nextDocId, ascending) for position `at`, without I/O. */
export function prepareSegment(docs: readonly IndexDoc[], at: IndexPosition): PreparedSegment {
  const { rows, lengths } = buildSegment(docs, at.nextSeg);
  let maxDocId = at.nextDocId - 1;
  for (const doc of docs) maxDocId = Math.max(maxDocId, doc.docId);
  return { at: { nextDocId: at.nextDocId, nextSeg: at.nextSeg }, rows, lengths, docCount: docs.length, maxDocId };
}

/**
 * Writes a prepared segment and the updated stats when the index (`stats`, read in the same transaction) is still
 * where the segment was built for; returns null, writing nothing, when another write numbered documents or
 * segments since. Inside a read-write transaction, like appendToSearchIndex.
 */
export function appendPreparedSegment(table: SearchIndexTable, stats: StatsRow, prepared: PreparedSegment): Promise<StatsRow> | null {
  if (stats.nextDocId !== prepared.at.nextDocId || stats.nextSeg !== prepared.at.nextSeg) return null;
  return writeSegment(table, stats, prepared);
}

async function writeSegment(table: SearchIndexTable, stats: StatsRow, prepared: PreparedSegment): Promise<StatsRow> {
  const { lengths } = prepared;
  const next: StatsRow = {
    ...stats,
    docCount: stats.docCount + prepared.docCount,
    totalLength: [stats.totalLength[0] + lengths[0], stats.totalLength[1] + lengths[1], stats.totalLength[2] + lengths[2]],
    nextDocId: Math.max(stats.nextDocId - 1, prepared.maxDocId) + 1,
    nextSeg: stats.nextSeg + 1,
  };
  await table.bulkPut([...prepared.rows, next]);
  return next;
}

/**
 * Removes documents (deleted or replaced nodes) from the index: they leave the `docs` rows, which is what search
 * checks every candidate against, and the statistics. Their postings stay until a later rebuild (readers skip a
 * docId that no docs row lists); rewriting every postings bucket of a deletion would cost far more than it saves.
 * A docs row changes in place here, so the generation changes too and readers reload their cached rows.
 * Must run inside a read-write transaction that covers the searchIndex table and the node deletions.
 */
export async function removeFromSearchIndex(table: SearchIndexTable, docIds: readonly number[]): Promise<StatsRow> {
  const stats = await readIndexStats(table);
  if (docIds.length === 0) return stats;
  const gone = new Set(docIds);
  const rows = (await table.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).toArray()).filter(
    (row): row is DocsRow => row.kind === 'docs' && row.docIds.some((id) => gone.has(id)),
  );
  let removed = 0;
  const lengths: [number, number, number] = [...stats.totalLength];
  for (const row of rows) {
    const keep: number[] = [];
    for (let i = 0; i < row.docIds.length; i++) {
      if (!gone.has(row.docIds[i] ?? 0)) {
        keep.push(i);
        continue;
      }
      removed += 1;
      for (let f = 0; f < 3; f++) lengths[f as 0 | 1 | 2] -= row.lengths[i * 3 + f] ?? 0;
    }
    if (keep.length === 0) {
      await table.delete(['docs', row.seg]);
      continue;
    }
    const nodeIds = split(row);
    await table.put({
      ...row,
      docIds: Uint32Array.from(keep, (i) => row.docIds[i] ?? 0),
      provider: Uint8Array.from(keep, (i) => row.provider[i] ?? 0),
      createdAt: Float64Array.from(keep, (i) => row.createdAt[i] ?? Number.NaN),
      active: Uint8Array.from(keep, (i) => row.active[i] ?? 0),
      lengths: Uint32Array.from(keep.flatMap((i) => [i * 3, i * 3 + 1, i * 3 + 2]), (j) => row.lengths[j] ?? 0),
      conversationOf: Uint32Array.from(keep, (i) => row.conversationOf[i] ?? 0),
      nodeIds: keep.map((i) => nodeIds[i] ?? '').join('\n'),
      chunks: Int32Array.from(keep, (i) => row.chunks?.[i] ?? 0),
    });
  }
  const next: StatsRow = {
    ...stats,
    generation: newGeneration(),
    docCount: Math.max(0, stats.docCount - removed),
    totalLength: [Math.max(0, lengths[0]), Math.max(0, lengths[1]), Math.max(0, lengths[2])],
  };
  await table.put(next);
  return next;
}

/**
 * The node id of every document the index lists: the vault's nodes, each once (the index is written with the nodes
 * in the same transaction, and a deleted or replaced node leaves the `docs` rows). No postings are read. The node
 * store's list of its ids (db/node-store.ts). In segment order: nodes indexed together come together.
 */
export async function indexedNodeIds(table: SearchIndexTable): Promise<string[]> {
  const rows = await table.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).toArray();
  const ids: string[] = [];
  for (const row of rows) if (row.kind === 'docs') appendAll(ids, row.nodeIds === '' ? [] : row.nodeIds.split('\n'));
  return ids;
}

/**
 * Each indexed node's chunk row as the docs rows record it (DocsRow.chunks; nodes without one are left out): hints
 * for the node store's reads of many nodes (db/node-store.ts readMany), which check them against the chunks read.
 */
export async function indexedNodePlaces(table: SearchIndexTable): Promise<Map<string, number>> {
  const rows = await table.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).toArray();
  const places = new Map<string, number>();
  for (const row of rows) {
    if (row.kind !== 'docs' || !row.chunks) continue;
    const chunks = row.chunks;
    split(row).forEach((id, i) => {
      const chunk = chunks[i] ?? 0;
      if (chunk !== 0) places.set(id, chunk);
    });
  }
  return places;
}

export const BACKFILL_CHUNK = 1000;

export async function backfillSearchIndex(table: SearchIndexTable, nodes: readonly NodeRow[]): Promise<void> {
  let stats = await readIndexStats(table);
  const sorted = [...nodes].sort((x, y) => x.docId - y.docId);
  for (let i = 0; i < sorted.length; i += BACKFILL_CHUNK) {
    stats = await appendToSearchIndex(table, stats, sorted.slice(i, i + BACKFILL_CHUNK).map((node) => nodeToIndexDoc(node)));
  }
  if (sorted.length === 0) await table.put(stats);
}

// ---- compaction ----------------------------------------------------------------------------------------------

/** Thrown inside a streaming merge when docIds are not increasing across segments (never expected). */
const OUT_OF_ORDER = new Error('postings out of order');

class ByteReader {
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  varint(): number {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.data[this.pos++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  }
}

/** Postings lists to merge: sorted keys and, per key, the offset of its list in `data`. */
interface PostingsSource {
  seg: number;
  keys: readonly string[];
  offsets: ArrayLike<number>;
  data: Uint8Array;
  /** The row's positions, and per key their [start, end) in it (none: the row has no positions). */
  positions: Uint8Array | null;
  positionStart: ArrayLike<number>;
  positionEnd: ArrayLike<number>;
}

function sourceOf(row: PostingsRow): PostingsSource {
  const offsets = row.positionOffsets ?? new Uint32Array(0);
  return {
    seg: row.seg,
    keys: split(row),
    offsets: row.offsets,
    data: row.data,
    positions: row.positions && row.positionOffsets ? row.positions : null,
    positionStart: offsets,
    positionEnd: offsets.subarray(1),
  };
}

/** A group row's lists by bucket (each a sorted subsequence of the row's keys, sharing its data). */
function splitByBucket(row: PostingsRow): Map<number, PostingsSource> {
  const out = new Map<number, { seg: number; keys: string[]; offsets: number[]; data: Uint8Array; positions: Uint8Array | null; positionStart: number[]; positionEnd: number[] }>();
  const positions = row.positions && row.positionOffsets ? row.positions : null;
  split(row).forEach((key, i) => {
    const bucket = bucketOf(key.slice(1));
    let source = out.get(bucket);
    if (!source) out.set(bucket, (source = { seg: row.seg, keys: [], offsets: [], data: row.data, positions, positionStart: [], positionEnd: [] }));
    source.keys.push(key);
    source.offsets.push(row.offsets[i] ?? 0);
    source.positionStart.push(row.positionOffsets?.[i] ?? 0);
    source.positionEnd.push(row.positionOffsets?.[i + 1] ?? 0);
  });
  return out;
}

/**
 * Merges postings lists by copying each list's varints straight into the output: segments hold increasing docIds,
 * so only the first delta of each appended list changes. No per-posting arrays, so no garbage to collect.
 */
function streamPostingsMerge(sources: readonly PostingsSource[], part: string, seg: number): PostingsRow {
  const all = new Set<string>();
  for (const source of sources) for (const key of source.keys) all.add(key);
  const keys = [...all].sort();
  const pointers = sources.map(() => 0);
  const offsets = new Uint32Array(keys.length + 1);
  const positionOffsets = new Uint32Array(keys.length + 1);
  const writer = new ByteWriter();
  const positionWriter = new ByteWriter();
  const readers: ByteReader[] = [];
  const counts: number[] = [];
  const positionRanges: Uint8Array[] = [];
  keys.forEach((key, k) => {
    offsets[k] = writer.length;
    positionOffsets[k] = positionWriter.length;
    readers.length = 0;
    counts.length = 0;
    positionRanges.length = 0;
    // A key keeps positions only when every list merged into it has them (each posting's positions stand alone,
    // so the lists' positions are appended in the same order as their postings).
    let knownPositions = true;
    let total = 0;
    sources.forEach((source, r) => {
      const at = pointers[r] ?? 0;
      if (source.keys[at] !== key) return;
      const reader = new ByteReader(source.data, source.offsets[at] ?? 0);
      const count = reader.varint();
      readers.push(reader);
      counts.push(count);
      total += count;
      pointers[r] = at + 1;
      const from = source.positionStart[at] ?? 0;
      const to = source.positionEnd[at] ?? 0;
      if (source.positions && to > from) positionRanges.push(source.positions.subarray(from, to));
      else knownPositions = false;
    });
    if (knownPositions) for (const range of positionRanges) positionWriter.append(range);
    writer.varint(total);
    let last = 0;
    readers.forEach((reader, i) => {
      let doc = 0;
      for (let j = 0; j < (counts[i] ?? 0); j++) {
        doc += reader.varint();
        const tf = reader.varint();
        if (doc < last) throw OUT_OF_ORDER;
        writer.varint(doc - last);
        writer.varint(tf);
        last = doc;
      }
    });
  });
  offsets[keys.length] = writer.length;
  positionOffsets[keys.length] = positionWriter.length;
  if (positionWriter.length === 0) return { part, seg, kind: 'postings', keys: keys.join('\n'), offsets, data: writer.finish() };
  return { part, seg, kind: 'postings', keys: keys.join('\n'), offsets, data: writer.finish(), positions: positionWriter.finish(), positionOffsets };
}

/** One postings row from several sources, oldest segment first (sorting the lists when docIds interleave). */
function mergePostings(sources: readonly PostingsSource[], part: string, seg: number): PostingsRow {
  const ordered = [...sources].sort((x, y) => x.seg - y.seg);
  try {
    return streamPostingsMerge(ordered, part, seg);
  } catch (error) {
    if (error !== OUT_OF_ORDER) throw error;
  }
  const lists = new Map<string, { docIds: number[]; tfs: number[] }>();
  for (const source of ordered) {
    source.keys.forEach((key, i) => {
      const postings = decodePostings(source.data, source.offsets[i] ?? 0);
      let list = lists.get(key);
      if (!list) lists.set(key, (list = { docIds: [], tfs: [] }));
      for (let j = 0; j < postings.docIds.length; j++) {
        list.docIds.push(postings.docIds[j] ?? 0);
        list.tfs.push(postings.tfs[j] ?? 0);
      }
    });
  }
  for (const list of lists.values()) sortPostings(list);
  return encodePostingsRow(part, seg, lists);
}

function mergeRows(rows: SearchIndexRow[], part: string, seg: number): SearchIndexRow | null {
  const ordered = [...rows].sort((x, y) => x.seg - y.seg);
  const first = ordered[0];
  if (!first) return null;
  if (first.kind === 'postings') {
    return mergePostings(
      ordered.filter((row): row is PostingsRow => row.kind === 'postings').map(sourceOf),
      part,
      seg,
    );
  }
  if (first.kind === 'lexicon') {
    const df = new Map<string, number>();
    for (const row of ordered) {
      if (row.kind !== 'lexicon') continue;
      split(row).forEach((term, i) => df.set(term, (df.get(term) ?? 0) + (row.df[i] ?? 0)));
    }
    const lexTerms = [...df.keys()].sort();
    return { part: 'lex', seg, kind: 'lexicon', terms: lexTerms.join('\n'), df: Uint32Array.from(lexTerms, (t) => df.get(t) ?? 0) };
  }
  if (first.kind === 'docs') {
    const docsRows = ordered.filter((row): row is DocsRow => row.kind === 'docs');
    const total = docsRows.reduce((n, row) => n + row.docIds.length, 0);
    const chunks = new Int32Array(total);
    const merged: DocsRow = {
      part: 'docs',
      seg,
      kind: 'docs',
      docIds: new Uint32Array(total),
      provider: new Uint8Array(total),
      createdAt: new Float64Array(total),
      active: new Uint8Array(total),
      lengths: new Uint32Array(total * 3),
      conversations: [],
      conversationOf: new Uint32Array(total),
      nodeIds: '',
      chunks,
    };
    const nodeIds: string[] = [];
    const index = new Map<string, number>();
    let at = 0;
    for (const row of docsRows) {
      merged.docIds.set(row.docIds, at);
      merged.provider.set(row.provider, at);
      merged.createdAt.set(row.createdAt, at);
      merged.active.set(row.active, at);
      merged.lengths.set(row.lengths, at * 3);
      if (row.chunks) chunks.set(row.chunks, at);
      appendAll(nodeIds, split(row));
      for (let i = 0; i < row.docIds.length; i++) {
        const id = row.conversations[row.conversationOf[i] ?? 0] ?? '';
        let conv = index.get(id);
        if (conv === undefined) {
          conv = merged.conversations.length;
          merged.conversations.push(id);
          index.set(id, conv);
        }
        merged.conversationOf[at + i] = conv;
      }
      at += row.docIds.length;
    }
    merged.nodeIds = nodeIds.join('\n');
    return merged;
  }
  return null;
}

function sortPostings(list: { docIds: number[]; tfs: number[] }): void {
  let sorted = true;
  for (let i = 1; i < list.docIds.length; i++) if ((list.docIds[i] ?? 0) < (list.docIds[i - 1] ?? 0)) sorted = false;
  if (sorted) return;
  const order = list.docIds.map((_, i) => i).sort((x, y) => (list.docIds[x] ?? 0) - (list.docIds[y] ?? 0));
  const docIds = order.map((i) => list.docIds[i] ?? 0);
  const tfs = order.map((i) => list.tfs[i] ?? 0);
  list.docIds = docIds;
  list.tfs = tfs;
}

/**
 * Merges every part that has at least `minSegments` segments into one new segment. New segments' postings sit in
 * group rows (`g<n>`, see GROUPS); a group with pending rows is split into its buckets' `p<bucket>` rows, each
 * merged with the bucket's earlier rows. Each group of parts is replaced in one transaction (new rows written,
 * old rows deleted together), so readers always see each document exactly once, whether they look before or after.
 */
export async function compactSearchIndex(
  db: CompactableSearchIndex,
  options: { minSegments?: number; partsPerTransaction?: number; trace?: (step: string, ms: number) => void } = {},
): Promise<{ partsMerged: number }> {
  const minSegments = options.minSegments ?? 2;
  const perTransaction = options.partsPerTransaction ?? 32;
  // Benchmarks: where the time goes (listing, reading rows, merging them, writing and committing).
  let lapStarted = performance.now();
  const lap = (step: string): void => {
    if (!options.trace) return;
    const at = performance.now();
    options.trace(step, at - lapStarted);
    lapStarted = at;
  };
  const keys = await db.searchIndex.toCollection().primaryKeys();
  lap('list keys');
  const segsByPart = new Map<string, number[]>();
  for (const [part, seg] of keys) {
    if (part === 'stats') continue;
    const segs = segsByPart.get(part) ?? [];
    segs.push(seg);
    segsByPart.set(part, segs);
  }
  const segsOf = (part: string): number[] => segsByPart.get(part) ?? [];
  const bucketsOf = (group: number): number[] => Array.from({ length: BUCKETS / GROUPS }, (_, i) => group + i * GROUPS);
  // Postings: by group. A bucket holds its own rows plus its share of every pending group row.
  const groups: number[] = [];
  for (let group = 0; group < GROUPS; group++) {
    const pending = segsOf(`g${group}`).length;
    const most = maxOf(bucketsOf(group).map((bucket) => segsOf(`p${bucket}`).length));
    if (pending + most >= minSegments && (pending > 0 || most >= 2)) groups.push(group);
  }
  // Everything else (lexicon, documents): part by part.
  const parts = [...segsByPart].filter(([part, segs]) => !/^[pg]\d/.test(part) && segs.length >= minSegments);
  const groupsPerTransaction = Math.max(1, Math.round(perTransaction / (BUCKETS / GROUPS)));
  let merged = 0;
  for (let i = 0; i < groups.length; i += groupsPerTransaction) {
    const batch = groups.slice(i, i + groupsPerTransaction);
    await db.transaction('rw', db.searchIndex, async () => {
      const stats = await readIndexStats(db.searchIndex);
      let seg = stats.nextSeg;
      for (const group of batch) {
        const pendingKeys = segsOf(`g${group}`).map((s): [string, number] => [`g${group}`, s]);
        const bucketKeys = bucketsOf(group).flatMap((bucket) => segsOf(`p${bucket}`).map((s): [string, number] => [`p${bucket}`, s]));
        lap('postings: write, commit');
        const [pendingRows, bucketRows] = await Promise.all([db.searchIndex.bulkGet(pendingKeys), db.searchIndex.bulkGet(bucketKeys)]);
        lap('postings: read rows');
        const pending = pendingRows.filter((row): row is PostingsRow => row?.kind === 'postings').map(splitByBucket);
        const byBucket = new Map<number, PostingsRow[]>();
        for (const row of bucketRows) {
          if (row?.kind !== 'postings') continue;
          const bucket = Number(row.part.slice(1));
          byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), row]);
        }
        const written: PostingsRow[] = [];
        for (const bucket of bucketsOf(group)) {
          const own = byBucket.get(bucket) ?? [];
          const sources = [...own.map(sourceOf), ...pending.flatMap((lists) => lists.get(bucket) ?? [])];
          // A bucket that is already one row and gets nothing new stays as it is.
          if (sources.length === 0 || (sources.length === 1 && own.length === 1)) continue;
          written.push(mergePostings(sources, `p${bucket}`, seg));
          seg += 1;
        }
        const replaced = [...pendingRows, ...bucketRows].flatMap((row): [string, number][] => {
          if (!row) return [];
          if (row.part.startsWith('g')) return [[row.part, row.seg]];
          // A bucket row is replaced only when its bucket was rewritten.
          return written.some((w) => w.part === row.part) ? [[row.part, row.seg]] : [];
        });
        lap('postings: merge');
        await db.searchIndex.bulkDelete(replaced);
        await db.searchIndex.bulkPut(written);
        merged += written.length;
      }
      await db.searchIndex.put({ ...stats, nextSeg: seg });
    });
  }
  lap('postings: write, commit');
  for (let i = 0; i < parts.length; i += perTransaction) {
    const group = parts.slice(i, i + perTransaction);
    await db.transaction('rw', db.searchIndex, async () => {
      const stats = await readIndexStats(db.searchIndex);
      let seg = stats.nextSeg;
      for (const [part, segs] of group) {
        lap('lexicon, docs: write, commit');
        const rows = (await db.searchIndex.bulkGet(segs.map((s): [string, number] => [part, s]))).filter((r): r is SearchIndexRow => r !== undefined);
        lap('lexicon, docs: read rows');
        const row = mergeRows(rows, part, seg);
        lap('lexicon, docs: merge');
        if (!row) continue;
        await db.searchIndex.bulkDelete(rows.map((r): [string, number] => [r.part, r.seg]));
        await db.searchIndex.put(row);
        seg += 1;
        merged += 1;
      }
      await db.searchIndex.put({ ...stats, nextSeg: seg });
    });
  }
  lap('lexicon, docs: write, commit');
  return { partsMerged: merged };
}

// ---- reading -------------------------------------------------------------------------------------------------

/** Per-document facts in memory, indexed by docId (grown as segments load). */
export class DocsTable {
  capacity = 0;
  present = new Uint8Array(0);
  provider = new Uint8Array(0);
  createdAt = new Float64Array(0);
  active = new Uint8Array(0);
  lengths = new Uint32Array(0);
  conversation = new Int32Array(0);
  /** Each document's chunk row (DocsRow.chunks), 0 when not known. */
  chunk = new Int32Array(0);
  nodeId: string[] = [];
  conversationIds: string[] = [];
  private readonly conversationIndex = new Map<string, number>();
  /** Bumped by every `add`: what `lengthNorms` caches is only valid for the table it was computed from. */
  private version = 0;
  private norms: { key: string; values: Float64Array } | null = null;

  /** Changes with every `add`: caches derived from the table compare it. */
  get revision(): number {
    return this.version;
  }

  conversationNumber(id: string): number {
    return this.conversationIndex.get(id) ?? -1;
  }

  /**
   * Per document, BM25's length part `k1 × (1 − b + b × length / average)`, the length weighting fields h, a and x
   * by `weights`. Computed once for the table and arguments and reused by the following queries: the scoring
   * loop then reads one number per posting instead of three lengths (the same arithmetic, so the same scores).
   */
  lengthNorms(weights: readonly [number, number, number], average: number, k1: number, b: number): Float64Array {
    const key = `${this.version}:${this.capacity}:${weights.join(',')}:${average}:${k1}:${b}`;
    if (this.norms?.key === key) return this.norms.values;
    const [w0, w1, w2] = weights;
    const lengths = this.lengths;
    const values = new Float64Array(this.capacity);
    for (let doc = 0; doc < this.capacity; doc++) {
      const length = w0 * (lengths[doc * 3] ?? 0) + w1 * (lengths[doc * 3 + 1] ?? 0) + w2 * (lengths[doc * 3 + 2] ?? 0);
      values[doc] = k1 * (1 - b + (b * length) / average);
    }
    this.norms = { key, values };
    return values;
  }

  add(row: DocsRow): void {
    this.version++;
    let max = 0;
    for (const id of row.docIds) max = Math.max(max, id);
    this.ensure(max + 1);
    const nodeIds = split(row);
    for (let i = 0; i < row.docIds.length; i++) {
      const doc = row.docIds[i] ?? 0;
      this.present[doc] = 1;
      this.nodeId[doc] = nodeIds[i] ?? '';
      this.chunk[doc] = row.chunks?.[i] ?? 0;
      this.provider[doc] = row.provider[i] ?? 0;
      this.createdAt[doc] = row.createdAt[i] ?? Number.NaN;
      this.active[doc] = row.active[i] ?? 0;
      this.lengths[doc * 3] = row.lengths[i * 3] ?? 0;
      this.lengths[doc * 3 + 1] = row.lengths[i * 3 + 1] ?? 0;
      this.lengths[doc * 3 + 2] = row.lengths[i * 3 + 2] ?? 0;
      const id = row.conversations[row.conversationOf[i] ?? 0] ?? '';
      let conv = this.conversationIndex.get(id);
      if (conv === undefined) {
        conv = this.conversationIds.length;
        this.conversationIds.push(id);
        this.conversationIndex.set(id, conv);
      }
      this.conversation[doc] = conv;
    }
  }

  private ensure(size: number): void {
    if (size <= this.capacity) return;
    const capacity = Math.max(size, this.capacity * 2, 1024);
    const grow = <T extends Uint8Array | Float64Array | Uint32Array | Int32Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.present = grow(this.present, (n) => new Uint8Array(n));
    this.provider = grow(this.provider, (n) => new Uint8Array(n));
    this.createdAt = grow(this.createdAt, (n) => new Float64Array(n));
    this.active = grow(this.active, (n) => new Uint8Array(n));
    this.lengths = grow(this.lengths, (n) => new Uint32Array(n), 3);
    this.conversation = grow(this.conversation, (n) => new Int32Array(n));
    this.chunk = grow(this.chunk, (n) => new Int32Array(n));
    this.capacity = capacity;
  }
}

const ROW_CACHE_BYTES = 96 * 1024 * 1024;
/** Postings and positions per indexed exchange (~150 words), measured at 100k: ~0.41 KB; with room to spare. */
const WARM_BYTES_PER_DOC = 550;
/**
 * Parts read together while warming, each batch only while no query runs: a query then waits for at most one
 * small batch ahead of its own reads (with 16 parts in flight, the queries during the warm-up were most of the
 * slowest; bench/search.bench.ts prints them).
 */
const WARM_PARTS = 4;
/**
 * Writes the warm snapshot of the index as it is now, unless the one stored is fresh or the index is too large to be
 * warmed (KeywordIndexReader.warm, with no pause to wait for): the import worker calls it once its merge is done, so
 * the first search session after an import reads the index in one request, not row by row (a session that found
 * no fresh snapshot read the 512 rows of a 100k vault one by one while its first queries waited behind them).
 * Whether it wrote one. A cache: a failure is said in the console and changes nothing else.
 */
export async function writeWarmSnapshot(table: () => SearchIndexTable, store: () => WarmSnapshotStore): Promise<boolean> {
  const reader = new KeywordIndexReader(table, HOT_POSTINGS, { store, idleMs: 0 });
  await reader.warm(await reader.stats());
  return reader.counters.snapshotsWritten > 0;
}

/** The warm snapshot is written again when it held less than this share of the listed postings rows. */
const SNAPSHOT_FRESH = 0.9;
/**
 * No query for this long before the warm snapshot is written (writing ~40 MB at 100k exchanges keeps IndexedDB busy
 * for ~0.5 s, which queries typed meanwhile would wait for).
 */
const SNAPSHOT_IDLE_MS = 2000;
/** The title log's part (title-index.ts), the last part a query lists. */
const TITLES_PART = 'titles';

/** Segment numbers of every part (`docs`, `g<n>`, `lex`, `p<n>`, `titles`): see KeywordIndexReader.pendingSegments. */
export type PendingSegments = Promise<Map<string, number[]>>;

/** A term with at least this many postings (over its fields) stays decoded between queries: see `postings`. */
export const HOT_POSTINGS = 10_000;
const HOT_BYTES = 32 * 1024 * 1024;

export interface ReaderCounters {
  /** Time spent decoding postings lists (synchronous, inside `postings`). */
  decodeMs: number;
  /** Postings decoded. */
  decoded: number;
  /** Index rows read from storage (cache misses, the background warm-up's included). */
  rowsFetched: number;
  /** The background warm-up is reading rows. */
  warming: boolean;
  /**
   * Rows a listing named that storage no longer held when read (a compaction or deletion committed in between):
   * a query answered from statistics it had not just read is then asked again (KeywordSearch).
   */
  rowsGone: number;
  /** Postings rows the warm-up took from the warm snapshot (warm-snapshot.ts) instead of reading them one by one. */
  snapshotRows: number;
  /** Warm snapshots written by this reader. */
  snapshotsWritten: number;
}

interface HotTerm {
  /** The part's segment numbers when decoded: a segment is immutable, so the same list means the same postings. */
  segs: string;
  byField: Map<FieldCode, Postings[]>;
  bytes: number;
}

/**
 * Query-side view of the index. Segments are immutable, so the large per-vault rows (documents, lexicon) are
 * cached by [part, seg] and only newly written segments are read; a changed `generation` (vault deleted) drops
 * every cache. Postings are read per query, except those of very common terms (see `postings`).
 */
export class KeywordIndexReader {
  private generation: number | null = null;
  private docsTable = new DocsTable();
  private loadedDocSegs = new Set<number>();
  private rowCache = new Map<string, { row: SearchIndexRow; bytes: number }>();
  private cachedBytes = 0;
  private hot = new Map<string, HotTerm>();
  private hotBytes = 0;
  /** Running totals since the reader was made, for timing breakdowns (KeywordSearch.trace): decoding, rows fetched. */
  readonly counters: ReaderCounters = { decodeMs: 0, decoded: 0, rowsFetched: 0, warming: false, rowsGone: 0, snapshotRows: 0, snapshotsWritten: 0 };

  /**
   * `snapshots.store`: where the warm-up keeps its snapshot of the postings rows (warm-snapshot.ts; the app's vault
   * has a table for it), absent where there is none (the command-line device, most tests); `idleMs`: how long no
   * query may have run before one is written (SNAPSHOT_IDLE_MS).
   */
  constructor(
    private readonly table: () => SearchIndexTable,
    private readonly hotPostings = HOT_POSTINGS,
    private readonly snapshots?: { store: () => WarmSnapshotStore | undefined; idleMs?: number },
  ) {}

  /** Fresh statistics; resets every cache when the vault was deleted or replaced. */
  async stats(): Promise<StatsRow> {
    return this.adopt(await this.readStats());
  }

  /** The statistics row as stored now, without adopting it (see `adopt`). */
  readStats(): Promise<StatsRow> {
    return readIndexStats(this.table());
  }

  /**
   * The statistics this reader last adopted (null before any): every write to the index moves them on (a new
   * segment, a compaction, a deletion's new generation), so a query may run on them while a fresh read checks that
   * they still hold (KeywordSearch), instead of waiting for that read first.
   */
  get known(): StatsRow | null {
    return this.latest;
  }

  private latest: StatsRow | null = null;

  /** Takes `stats` (just read) as current; resets every cache when the vault was deleted or replaced. */
  adopt(stats: StatsRow): StatsRow {
    this.latest = stats;
    if (this.generation !== stats.generation) {
      this.generation = stats.generation;
      this.docsTable = new DocsTable();
      this.loadedDocSegs = new Set();
      this.rowCache = new Map();
      this.cachedBytes = 0;
      this.hot = new Map();
      this.hotBytes = 0;
      this.listing = null;
    }
    return stats;
  }

  /** `pending`: this query's listing of every part's segments (pendingSegments), when it has one. */
  async docs(pending?: PendingSegments): Promise<DocsTable> {
    const segs = pending ? ((await pending).get('docs') ?? []) : await this.segments('docs');
    const missing = segs.filter((seg) => !this.loadedDocSegs.has(seg));
    if (missing.length > 0) {
      const rows = await this.table().bulkGet(missing.map((seg): [string, number] => ['docs', seg]));
      for (const row of rows) {
        if (row?.kind !== 'docs') continue;
        this.docsTable.add(row);
        this.loadedDocSegs.add(row.seg);
      }
    }
    return this.docsTable;
  }

  /**
   * Postings of `term` in each requested field, across all segments. Segments are immutable, so their rows are
   * cached by [part, seg]: a query lists every part's segments once (`pending`, one request for all its terms)
   * and reads only rows it has not seen, in one request per part. Very common terms ("the", "and") also stay
   * decoded: decoding their hundreds of KB cost more than the rest of the query.
   */
  async postings(term: string, fields: readonly FieldCode[], pending?: PendingSegments): Promise<Map<FieldCode, Postings[]>> {
    const part = postingsPart(term);
    const group = groupPart(term);
    const listed = await (pending ?? this.pendingSegments());
    const ownSegs = listed.get(part) ?? [];
    const groupSegs = listed.get(group) ?? [];
    const segs = `${ownSegs.join(',')}|${groupSegs.join(',')}`;
    const cached = this.hot.get(term);
    if (cached && cached.segs === segs) {
      // Map order is insertion order: re-inserting marks the term most recently used.
      this.hot.delete(term);
      this.hot.set(term, cached);
      return new Map(fields.map((field) => [field, cached.byField.get(field) ?? []]));
    }
    const [own, pendingRows] = await Promise.all([this.rows(part, ownSegs), this.rows(group, groupSegs)]);
    const rows = [...own, ...pendingRows].filter((row): row is PostingsRow => row.kind === 'postings');
    const decodeStarted = performance.now();
    const decode = (field: FieldCode): Postings[] => rows.flatMap((row) => postingsFor(row, field + term) ?? []);
    const out = new Map<FieldCode, Postings[]>(fields.map((field) => [field, decode(field)]));
    let count = 0;
    for (const lists of out.values()) for (const list of lists) count += list.docIds.length;
    if (count >= this.hotPostings) {
      const byField = new Map<FieldCode, Postings[]>(FIELD_CODES.map((field) => [field, out.get(field) ?? decode(field)]));
      this.rememberHot(term, { segs, byField, bytes: 0 });
    }
    this.counters.decodeMs += performance.now() - decodeStarted;
    this.counters.decoded += count;
    return out;
  }

  /**
   * Reads every postings row into the row cache, a few at a time, when the whole index fits well within it: after
   * that, no query waits for a row the first time it touches a word (a query's first reads were most of the slowest
   * queries). Larger vaults keep reading rows as queries need them. With a snapshot store, the rows come from the
   * warm snapshot first (one read for all the rows it still holds), the rest one by one; when the snapshot held less
   * than SNAPSHOT_FRESH of them, a new one is written once no query has run for SNAPSHOT_IDLE_MS.
   */
  async warm(stats: StatsRow): Promise<void> {
    if (stats.docCount * WARM_BYTES_PER_DOC > ROW_CACHE_BYTES * 0.6) return;
    this.counters.warming = true;
    let write: (() => Promise<void>) | null;
    try {
      write = await this.warmRows(stats);
    } finally {
      this.counters.warming = false;
    }
    if (write) await write();
  }

  /** Reads the rows; returns the snapshot's writing when one is due (after the warm-up: it waits for a pause). */
  private async warmRows(stats: StatsRow): Promise<(() => Promise<void>) | null> {
    const listed = await this.pendingSegments(Promise.resolve(stats));
    const parts = [...listed].filter(([part]) => /^[pg]\d/.test(part));
    const keys = parts.flatMap(([part, segs]) => segs.map((seg) => `${part}:${seg}`));
    const store = this.snapshots?.store();
    const adopted = store ? await this.adoptSnapshot(store, stats.generation, new Set(keys)) : 0;
    // Only the parts with rows still to read (the snapshot's are cached), a few at a time between queries.
    const toRead = parts.filter(([part, segs]) => segs.some((seg) => !this.rowCache.has(`${part}:${seg}`)));
    for (let i = 0; i < toRead.length; i += WARM_PARTS) {
      await this.noQueryRunning();
      await Promise.all(toRead.slice(i, i + WARM_PARTS).map(([part, segs]) => this.rows(part, segs)));
    }
    return store && keys.length > 0 && adopted < keys.length * SNAPSHOT_FRESH ? () => this.writeSnapshot(store, stats.generation, keys) : null;
  }

  /**
   * Puts the rows of the warm snapshot that the index still lists into the row cache; how many. A snapshot of
   * another generation, or one whose listed rows are less than half its bytes (its buffer stays whole while any of
   * its rows is cached), is left for a new one. A snapshot that cannot be read is only said in the console.
   */
  private async adoptSnapshot(store: WarmSnapshotStore, generation: number, listed: ReadonlySet<string>): Promise<number> {
    try {
      const snapshot = await store.get(WARM_SNAPSHOT_ID);
      if (!snapshot || snapshot.generation !== generation || snapshot.bytes > ROW_CACHE_BYTES) return 0;
      const rows = unpackPostings(await snapshot.blob.arrayBuffer());
      if (!rows || this.generation !== generation) return 0;
      const usable = rows.filter((row) => listed.has(`${row.part}:${row.seg}`));
      const usableBytes = usable.reduce((n, row) => n + row.data.byteLength + (row.positions?.byteLength ?? 0) + row.offsets.byteLength + (row.positionOffsets?.byteLength ?? 0), 0);
      if (usableBytes < snapshot.bytes / 2) return 0;
      for (const row of usable) if (!this.rowCache.has(`${row.part}:${row.seg}`)) this.remember(row);
      this.counters.snapshotRows += usable.length;
      return usable.length;
    } catch (error: unknown) {
      console.warn('The search index snapshot could not be read; the index is read row by row.', error);
      return 0;
    }
  }

  /** Writes the listed rows, all in the row cache after the warm-up, as the warm snapshot, once queries pause. */
  private async writeSnapshot(store: WarmSnapshotStore, generation: number, keys: readonly string[]): Promise<void> {
    await this.idleFor(this.snapshots?.idleMs ?? SNAPSHOT_IDLE_MS);
    if (this.generation !== generation) return;
    const rows: PostingsRow[] = [];
    for (const key of keys) {
      const row = this.rowCache.get(key)?.row;
      // A row evicted meanwhile (or gone in a compaction since the listing): the next warm-up writes one.
      if (row?.kind !== 'postings') return;
      rows.push(row);
    }
    try {
      await store.put(packPostings(rows, generation));
      this.counters.snapshotsWritten += 1;
    } catch (error: unknown) {
      // Storage full, or Blobs refused (a private window): the index is still read row by row, as before.
      console.warn('The search index snapshot could not be saved; the index is read row by row when the vault opens.', error);
    }
  }

  /** Resolves once no query runs, after letting any query already asked for start first (background work waits on it). */
  async noQueryRunning(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.queries > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /**
   * Resolves once no query has run for `ms` (checked again after each wait): for background work that would
   * otherwise slow queries typed in quick succession.
   */
  async idleFor(ms: number): Promise<void> {
    for (;;) {
      await this.noQueryRunning();
      const quiet = performance.now() - this.lastQueryEnded;
      if (quiet >= ms) return;
      await new Promise((resolve) => setTimeout(resolve, ms - quiet));
    }
  }

  /** Queries started since the reader was made (see `queryStarted`). */
  get queriesStarted(): number {
    return this.started;
  }

  private started = 0;

  /** When the last query ended (performance.now()). */
  private lastQueryEnded = 0;

  /** Queries running (see `queryStarted`), and the warm-up waiting for none. */
  private queries = 0;
  private idle: (() => void)[] = [];

  /** A query starts: the warm-up reads no more rows until every query has called the function returned. */
  queryStarted(): () => void {
    this.queries += 1;
    this.started += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.queries -= 1;
      this.lastQueryEnded = performance.now();
      if (this.queries === 0) for (const resolve of this.idle.splice(0)) resolve();
    };
  }

  private rememberHot(term: string, entry: HotTerm): void {
    for (const lists of entry.byField.values()) for (const list of lists) entry.bytes += list.docIds.byteLength + list.tfs.byteLength;
    const previous = this.hot.get(term);
    if (previous) {
      this.hot.delete(term);
      this.hotBytes -= previous.bytes;
    }
    this.hot.set(term, entry);
    this.hotBytes += entry.bytes;
    for (const [key, old] of this.hot) {
      if (this.hotBytes <= HOT_BYTES) break;
      this.hot.delete(key);
      this.hotBytes -= old.bytes;
    }
  }

  /** Indexed terms starting with `prefix`, most frequent first (the prefix itself first when it is a term). */
  async expandPrefix(prefix: string, max: number, pending?: PendingSegments): Promise<string[]> {
    if (max <= 0) return [];
    const df = await this.prefixFrequencies(prefix, pending);
    // A short prefix starts thousands of terms: only the first `max` are picked (firstByDf), not all sorted.
    const ranked = firstByDf(df, max, prefix).map(([term]) => term);
    if (df.has(prefix)) ranked.unshift(prefix);
    return ranked.slice(0, max);
  }

  /** Indexed terms (up to `max`, up to 50,000 per lexicon row) with the documents holding each, most first. */
  async frequentTerms(max: number): Promise<[term: string, df: number][]> {
    return firstByDf(await this.prefixFrequencies(''), max);
  }

  /** Indexed terms starting with `prefix` (up to 50,000 per lexicon row) and their document frequencies. */
  private async prefixFrequencies(prefix: string, pending?: PendingSegments): Promise<Map<string, number>> {
    const rows = await this.rows('lex', pending ? ((await pending).get('lex') ?? []) : undefined);
    const df = new Map<string, number>();
    const scanLimit = 50_000;
    for (const row of rows) {
      if (row.kind !== 'lexicon') continue;
      const rowTerms = split(row);
      let scanned = 0;
      for (let i = lowerBound(rowTerms, prefix); i < rowTerms.length && scanned < scanLimit; i++, scanned++) {
        const term = rowTerms[i] ?? '';
        if (!term.startsWith(prefix)) break;
        df.set(term, (df.get(term) ?? 0) + (row.df[i] ?? 0));
      }
    }
    return df;
  }

  /**
   * Indexed terms within edit distance `maxDistance` of `word` (typo fallback), closest first, then most frequent.
   * Scans the whole lexicon, so it runs only for a word that matched nothing.
   */
  async closeTerms(word: string, maxDistance: number, max: number, pending?: PendingSegments): Promise<string[]> {
    const rows = await this.rows('lex', pending ? ((await pending).get('lex') ?? []) : undefined);
    const found = new Map<string, { distance: number; df: number }>();
    for (const row of rows) {
      if (row.kind !== 'lexicon') continue;
      split(row).forEach((term, i) => {
        if (Math.abs(term.length - word.length) > maxDistance || term === word) return;
        const distance = boundedEditDistance(word, term, maxDistance);
        if (distance > maxDistance) return;
        const seen = found.get(term);
        found.set(term, { distance, df: (seen?.df ?? 0) + (row.df[i] ?? 0) });
      });
    }
    return [...found]
      .sort((x, y) => x[1].distance - y[1].distance || y[1].df - x[1].df || x[0].localeCompare(y[0]))
      .slice(0, max)
      .map(([term]) => term);
  }

  /**
   * The segments of every part of the index (documents, lexicon, postings; titles too unless `stats` is given), in
   * one request: a query lists them once and passes the listing to each read, which then asks only for rows it has
   * not cached. With this query's `stats`, the listing of an earlier query with the same statistics is reused.
   */
  pendingSegments(stats?: Promise<StatsRow>): PendingSegments {
    if (!stats) return this.listSegments();
    // Every write to the index's parts moves the statistics on (a new segment, a compaction's new segments, or a
    // deletion's new generation): while they stay the same, so does the listing, and a query skips the request.
    // The title log is written on its own: its segments are not taken from a kept listing.
    return stats.then((current) => {
      const key = `${current.generation}:${current.nextSeg}:${current.nextDocId}:${current.docCount}`;
      if (this.listing?.key === key) return this.listing.parts;
      return this.listSegments().then((parts) => {
        parts.delete(TITLES_PART);
        this.listing = { key, parts };
        return parts;
      });
    });
  }

  private listing: { key: string; parts: Map<string, number[]> } | null = null;

  private listSegments(): PendingSegments {
    return this.table()
      .where('[part+seg]')
      .between(['docs', Dexie.minKey], [TITLES_PART, Dexie.maxKey])
      .primaryKeys()
      .then((keys) => {
        const byPart = new Map<string, number[]>();
        for (const [part, seg] of keys) {
          const segs = byPart.get(part);
          if (segs) segs.push(seg);
          else byPart.set(part, [seg]);
        }
        return byPart;
      });
  }

  private async segments(part: string): Promise<number[]> {
    const keys = await this.table().where('[part+seg]').between([part, Dexie.minKey], [part, Dexie.maxKey]).primaryKeys();
    return keys.map(([, seg]) => seg);
  }

  private async rows(part: string, known?: readonly number[]): Promise<SearchIndexRow[]> {
    const segs = known ?? (await this.segments(part));
    const missing = segs.filter((seg) => !this.rowCache.has(`${part}:${seg}`));
    if (missing.length > 0) await this.fetch(part, missing);
    const out: SearchIndexRow[] = [];
    for (const seg of segs) {
      const key = `${part}:${seg}`;
      const hit = this.rowCache.get(key);
      if (!hit) continue;
      // Map order is insertion order: re-inserting marks the row most recently used.
      this.rowCache.delete(key);
      this.rowCache.set(key, hit);
      out.push(hit.row);
    }
    return out;
  }

  /** Rows asked for by reads that started together, not yet requested (see `fetch`). */
  private batch: { keys: [string, number][]; asked: Set<string>; read: Promise<void> } | null = null;

  /**
   * Reads rows into the cache. Reads asked for together (a query's words, which all wait for the same listing, or
   * the warm-up's parts) share one request, made once they have all asked: each request costs the page's thread a
   * transaction whatever its size (a word's first query read one per part).
   */
  private fetch(part: string, segs: readonly number[]): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      const keys: [string, number][] = [];
      const started: { keys: [string, number][]; asked: Set<string>; read: Promise<void> } = { keys, asked: new Set(), read: Promise.resolve() };
      // A microtask: the other reads resuming from the same listing run first and join the batch.
      started.read = Promise.resolve().then(async () => {
        if (this.batch === started) this.batch = null;
        this.counters.rowsFetched += keys.length;
        const fetched = await this.table().bulkGet(keys);
        for (const row of fetched) {
          if (row) this.remember(row);
          else this.counters.rowsGone += 1;
        }
      });
      this.batch = batch = started;
    }
    for (const seg of segs) {
      const key = `${part}:${seg}`;
      if (batch.asked.has(key)) continue;
      batch.asked.add(key);
      batch.keys.push([part, seg]);
    }
    return batch.read;
  }

  private remember(row: SearchIndexRow): void {
    const bytes = row.kind === 'postings' ? row.data.byteLength + (row.positions?.byteLength ?? 0) + row.keys.length * 4 : row.kind === 'lexicon' ? row.terms.length * 4 : 64;
    const rowKey = `${row.part}:${row.seg}`;
    const previous = this.rowCache.get(rowKey);
    if (previous) {
      // Read twice (a query's read and the warm-up's, or the snapshot's): counted once. Map order is insertion
      // order, so it goes last as most recently used.
      this.rowCache.delete(rowKey);
      this.cachedBytes -= previous.bytes;
    }
    this.rowCache.set(rowKey, { row, bytes });
    this.cachedBytes += bytes;
    for (const [key, entry] of this.rowCache) {
      if (this.cachedBytes <= ROW_CACHE_BYTES) break;
      this.rowCache.delete(key);
      this.cachedBytes -= entry.bytes;
    }
  }
}

/** Terms by document frequency, most first, then in term order. */
function byDf(x: readonly [string, number], y: readonly [string, number]): number {
  return y[1] - x[1] || x[0].localeCompare(y[0]);
}

/**
 * The first `max` entries (but `skip`) in byDf order, as sorting them all would give (a tie goes after the entries
 * already kept, as a stable sort leaves it), picked in one pass: sorting every term of a lexicon cost the
 * rehearsal ~100 ms of the page's thread, and a short prefix's thousands of terms a prefix query.
 */
function firstByDf(entries: Iterable<[string, number]>, max: number, skip?: string): [string, number][] {
  const best: [string, number][] = [];
  if (max <= 0) return best;
  for (const entry of entries) {
    if (entry[0] === skip) continue;
    const last = best[best.length - 1];
    if (best.length >= max && last && byDf(entry, last) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byDf(entry, best[mid] ?? entry) < 0) hi = mid;
      else lo = mid + 1;
    }
    best.splice(lo, 0, entry);
    if (best.length > max) best.pop();
  }
  return best;
}

/**
 * Edit distance of a and b counting a swap of two neighbouring letters as one edit ("lenght" → "length"), or
 * maxDistance + 1 as soon as it must exceed maxDistance (optimal string alignment).
 */
export function boundedEditDistance(a: string, b: string, maxDistance: number): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) value = Math.min(value, (before[j - 2] ?? 0) + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > maxDistance) return maxDistance + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? maxDistance + 1;
}
