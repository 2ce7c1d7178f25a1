/**
 * BM25 keyword search over the persisted index (keyword-index.ts). Each exchange is one document (the person's
 * turn and the reply together, hidden parts at a lower weight when asked for), so one length normalisation
 * applies to the whole exchange and rare words dominate. Stopwords of the query's language are ignored unless
 * the query has nothing else. Short keyword queries (up to three words, no stopword) rank exchanges holding
 * more of the words first; longer, natural questions are ranked by BM25 alone. The last word matches as a prefix while
 * typing; a word that matches nothing is replaced by the closest indexed words (edit distance 1–2); quoted
 * phrases keep only the exchanges holding them, verified from the word positions in the index (phrase-positions.ts;
 * against the stored text for rows written before positions), or fall back to their words when no exchange does. Filters are applied from in-memory per-document facts, before ranking. Conversation
 * titles (renamed over imported) are a field of their own: title-search.ts lifts the exchanges of a conversation
 * whose title holds the words, and one exchange stands for a conversation found by its title alone.
 * Common words (merged postings) are scored for the candidates only when a bound proves the page the same (the
 * top-k path in `rank`); otherwise every posting is scored. A query answers from the index statistics and titles
 * in memory, and checks them against storage beside its page read (`answerChecked`): when another tab or the
 * import worker wrote meanwhile, it is answered again. The app rehearses a few searches when the vault opens
 * (`prepare`), so the first query people type finds the code compiled and the per-vault tables in memory.
 *
 *   class KeywordSearch implements ResultSource {
 *     constructor(db: KeywordSearchStorage, options?: { warmIndex?, commonPostings?, exhaustive?, lookupCost?, readFirst? })   // a VaultDatabase, or the CLI's SQLite storage
 *     search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]>
 *     searchDetailed(query: string, filters: SearchFilters, limit: number): Promise<KeywordResult>
 *     prepare(): void   // warm up in the background (yields to queries)
 *     trace: ((trace: KeywordTrace) => void) | null   // where each query's time went (benchmarks)
 *   }
 */
import { PROVIDERS } from '../../../shared/model';
import type { NodeRow } from '../db/database';
import { withStorageErrors } from '../db/database';
import type { KeywordSearchStorage } from './index-table';
import { HOT_POSTINGS, hiddenText, indexVersion, KeywordIndexReader, type DocsTable, type FieldCode, type PendingSegments, type Postings, type ReaderCounters, type StatsRow } from './keyword-index';
import { gallop, PHRASE_NO, PHRASE_UNKNOWN, PHRASE_YES, phraseStatus, phraseStatusOf } from './phrase-positions';
import { MERGE_MIN_POSTINGS, maxRatio, membership, mergedPostings } from './merged-postings';
import { isEmptyQuery, parseQuery, type ParsedQuery } from './query';
import { containsPhrase } from './snippets';
import { queryStopwords } from './stopwords';
import { sameSegments, TitleIndexReader, type TitleIndex } from './title-index';
import { conversationDocs, TitleMatches, type TitleTerm } from './title-search';
import type { RankedHit, ResultSource, SearchFilters } from './types';
import { appendAll } from '../../../shared/arrays';

const K1 = 1.2;
const B = 0.75;
/** How much a field's words count towards the exchange (term frequency and length). */
const FIELD_WEIGHT: Record<FieldCode, number> = { h: 1, a: 1, x: 0.4 };
const FIELD_SLOT: Record<FieldCode, number> = { h: 0, a: 1, x: 2 };
/** Prefix expansions considered for the last word (the most frequent terms). */
const MAX_EXPANSIONS = 8;
/** Expansions rank a little below the exact word. */
const EXPANSION_WEIGHT = 0.7;
/** Closest indexed words used for a word that matches nothing. */
const MAX_CORRECTIONS = 3;
/** Words at least this long may be corrected by two edits, shorter ones by one (two edits turn "settle" into "little"). */
const LONG_WORD = 8;
/** Corrections rank a little below a word the person typed. */
const CORRECTION_WEIGHT = 0.8;
/** Queries of at most this many words, none a stopword, rank exchanges holding more of the words first. */
const KEYWORD_QUERY_WORDS = 3;
/** Best-ranked candidates (holding the phrases' words) checked against the stored text when the query has a phrase. */
const MAX_PHRASE_CHECKS = 300;
/** Candidates per phrase-check read, and how many reads run ahead of the check (measured: see phraseHits). */
const PHRASE_CHUNK = 40;
const PHRASE_READ_AHEAD = 1;
/** The top-k path runs only when each common word's list is at least this many times longer than the candidates. */
const LOOKUP_COST = 4;
/** Phrase candidates looked up first, best ranked, per result asked for (see the phrase step in `rank`). */
const PHRASE_FIRST_CHECKS = 5;
/**
 * Words listed (most frequent first) to pick the warm-up's rehearsal searches from, its rounds, and their page size.
 * Rounds: measured in the search bench at 100k with the first query 4 s after opening (BENCH_SETTLE_MS=4000,
 * ABAB), the first 50 queries' scoring p95 was 14.3 / 19.5 ms after 3 rounds and 9.8 / 11.3 ms after 12 (later
 * queries 5.7–7.8 either way), their total p95 50.7 / 39.7 against 35.1 / 36.3 ms. Twelve rounds take ~630 ms there,
 * a search at a time, each yielding to a query asked meanwhile.
 */
const REHEARSAL_TERMS = 4000;
const REHEARSAL_ROUNDS = 12;
const REHEARSAL_LIMIT = 20;
/**
 * Once people search, a rehearsal search waits until no query has run for this long (while a person reads or pauses typing). In the
 * search bench (300 queries one right after another, so it never runs there) neither this nor rehearsing between
 * queries showed a difference beyond the noise of a shared machine (15 runs, ABBA order, load 4.5–9.8).
 */
const REHEARSAL_IDLE_MS = 150;
/** Each further round of phrase look-ups checks this many times more of the best ranked candidates. */
const PHRASE_ROUND_GROWTH = 4;
/**
 * Rounds of look-ups stop before they would check more than this share of the candidates: past it, one walk over
 * the lists in docId order (phraseStatus) costs less than looking each candidate up.
 */
const PHRASE_LOOKUP_SHARE = 1 / 16;

export interface Correction {
  /** The word as typed (normalised). */
  word: string;
  /** Indexed words searched instead, closest first. */
  to: string[];
}

export interface KeywordResult {
  parsed: ParsedQuery;
  /** Indexed words the prefix expanded to. */
  expansions: string[];
  /** Words that matched nothing and the close indexed words searched instead (shown to the person). */
  corrections: Correction[];
  /** Query words ignored by the ranking (stopwords). */
  ignored: string[];
  /** Quoted phrases no exchange holds: their words were searched instead. */
  missedPhrases: string[][];
  hits: RankedHit[];
  /** Documents that matched before the limit (phrase queries: an upper bound). */
  total: number;
  /** False when a short keyword query found no exchange holding every word (these hold some of them). */
  matchedAll: boolean;
  /**
   * Share of the query's ranked words (weighted by rarity) that the first hit holds, 0 to 1: how sure the words
   * are of their best answer. Fusion lets meaning weigh more where the words found little.
   */
  coverage: number;
}

/** Where one query's time went (KeywordSearch.trace; benchmarks print it for the slowest queries). */
export interface KeywordTrace {
  totalMs: number;
  /** Until every word's postings were known: statistics, listing, rows from storage, decoding, prefix and typo look-ups. */
  readMs: number;
  /** Of readMs, decoding postings. */
  decodeMs: number;
  /** Postings decoded, and index rows read from storage meanwhile (the background warm-up's included). */
  decoded: number;
  rowsFetched: number;
  /** Scoring every posting, the title field, the coordination of short queries. */
  scoreMs: number;
  /** Choosing the page (top k; the phrase check). */
  selectMs: number;
  /** Reading the page's nodes and titles. */
  pageMs: number;
  /** Postings scored, and documents touched. */
  postings: number;
  touched: number;
  /** The background warm-up was reading rows when the query started. */
  warming: boolean;
  /**
   * How the query was scored: 'top-k' (only the candidates), 'top-k phrase' (only the candidates of a phrase: the
   * phrase's page is exact, its words' page would score everything), or every posting: 'exhaustive' (no common
   * word, or asked), 'few candidates' (fewer than the page), 'costly' (too many candidates to look up), 'bound' (a
   * common-words-only exchange might rank).
   */
  path: 'top-k' | 'top-k phrase' | 'exhaustive' | 'few candidates' | 'costly' | 'bound';
  /** Answered twice: the index or the titles had changed since the statistics in memory were read (see `answerChecked`). */
  reran: boolean;
}

/** The statistics and titles a query answers from. */
interface View {
  stats: Promise<StatsRow>;
  titles: Promise<TitleIndex>;
  /** Called before the page's nodes are read, once every index row the query needs was read. */
  beforePage?: () => void;
  /** A query someone asked (not the rehearsal): the first one starts the warm-up. */
  real?: boolean;
}

function warmUpStopped(error: unknown): void {
  // The vault was closed (another vault opened, a test ended): nothing to warm any more, nothing to say.
  if (error instanceof Error && error.name === 'DatabaseClosedError') return;
  console.warn('search index warm-up stopped', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** Whether two statistics rows describe the same index (every write changes at least one of these). */
function sameStats(a: StatsRow, b: StatsRow): boolean {
  return (
    a.generation === b.generation &&
    a.nextSeg === b.nextSeg &&
    a.nextDocId === b.nextDocId &&
    a.docCount === b.docCount &&
    a.totalLength.every((length, i) => length === b.totalLength[i])
  );
}

interface Variant {
  term: string;
  weight: number;
  postings: Map<FieldCode, Postings[]>;
}

/** What `run` hands to the scoring and page steps. */
interface RankInput {
  parsed: ParsedQuery;
  filters: SearchFilters;
  limit: number;
  fields: FieldCode[];
  /** The ranked words (groups[i] for i < words.length is words[i]'s group). */
  words: string[];
  groups: Variant[][];
  docs: DocsTable;
  stats: StatsRow;
  titleMatches: TitleMatches | null;
  titleIndex: TitleIndex;
  expansions: string[];
  corrections: Correction[];
  ignored: string[];
  keywordQuery: boolean;
  pending: PendingSegments;
  trace: KeywordTrace;
  beforePage: (() => void) | undefined;
}

/**
 * Per-document scoring state of one query, sized to the documents table. Allocating and zeroing five arrays of
 * 100k+ entries per query cost more than scoring a rare word: the arrays are reused, and only the documents a
 * query touched are reset afterwards.
 */
class Workspace {
  readonly scores: Float64Array;
  readonly matched: Uint8Array;
  readonly stamp: Int32Array;
  readonly tf: Float64Array;
  /** Bit g: the document's own text holds group g's word (groups 0–31; later groups ask the postings). */
  readonly held: Uint32Array;
  /** The top-k path's candidates (1), unmarked by the path itself. */
  readonly mark: Uint8Array;
  readonly touched: number[] = [];
  /** One variant's documents while it is scored (scoreVariant). */
  readonly variantDocs: Uint32Array;
  /** The top-k path's union of the common words' documents, a bit each, and its candidates. */
  readonly commonBits: Uint32Array;
  readonly candidates: Uint32Array;

  constructor(capacity: number) {
    this.mark = new Uint8Array(capacity);
    this.variantDocs = new Uint32Array(capacity);
    this.commonBits = new Uint32Array((capacity + 31) >>> 5);
    this.candidates = new Uint32Array(capacity);
    this.scores = new Float64Array(capacity);
    this.matched = new Uint8Array(capacity);
    this.stamp = new Int32Array(capacity).fill(-1);
    this.tf = new Float64Array(capacity);
    this.held = new Uint32Array(capacity);
  }

  clear(): void {
    if (this.touched.length * 8 > this.scores.length) {
      // Most documents touched (a query of common words): whole-array fills cost less than one write per document.
      this.scores.fill(0);
      this.matched.fill(0);
      this.stamp.fill(-1);
      this.tf.fill(0);
      this.held.fill(0);
      this.touched.length = 0;
      return;
    }
    for (let i = 0; i < this.touched.length; i++) {
      const doc = this.touched[i] ?? 0;
      this.scores[doc] = 0;
      this.matched[doc] = 0;
      this.stamp[doc] = -1;
      this.tf[doc] = 0;
      this.held[doc] = 0;
    }
    this.touched.length = 0;
  }
}

const allowCache = new WeakMap<DocsTable, { key: string; revision: number; mask: Uint8Array }>();

const allowBitsCache = new WeakMap<Uint8Array, Uint32Array>();

/** allowMask as a bitset (bit doc % 32 of word doc >> 5), cached with it. */
function allowBits(docs: DocsTable, filters: SearchFilters): Uint32Array {
  const mask = allowMask(docs, filters);
  const known = allowBitsCache.get(mask);
  if (known) return known;
  const bits = new Uint32Array((mask.length + 31) >>> 5);
  for (let doc = 0; doc < mask.length; doc++) if (mask[doc] === 1) bits[doc >>> 5] = (bits[doc >>> 5] ?? 0) | (1 << (doc & 31));
  allowBitsCache.set(mask, bits);
  return bits;
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Per document 1 when `filters` keep it, cached per documents table (and its revision) and filters. */
function allowMask(docs: DocsTable, filters: SearchFilters): Uint8Array {
  const key = JSON.stringify([filters.providers ?? null, filters.from ?? null, filters.to ?? null, filters.conversationId ?? null, filters.includeBranches === true]);
  const cached = allowCache.get(docs);
  if (cached && cached.key === key && cached.revision === docs.revision && cached.mask.length === docs.capacity) return cached.mask;
  const allow = filterFn(docs, filters);
  const mask = new Uint8Array(docs.capacity);
  for (let doc = 0; doc < docs.capacity; doc++) if (allow(doc)) mask[doc] = 1;
  allowCache.set(docs, { key, revision: docs.revision, mask });
  return mask;
}

export class KeywordSearch implements ResultSource {
  readonly id = 'keyword';
  private readonly reader: KeywordIndexReader;
  private readonly titles: TitleIndexReader;

  /**
   * `warmIndex`: read a small enough index whole in the background after the first query (the app; not a one-shot
   * command). `commonPostings`: words with at least this many postings are merged and looked up for the candidates
   * only (MERGE_MIN_POSTINGS; tests lower it to reach that path on a small vault). `exhaustive`: score every posting
   * of every word, never the top-k path (the reference the tests compare it with). `lookupCost`: the top-k path
   * runs only when the common words' lists are this many times longer than the candidates (LOOKUP_COST; tests set
   * 0 to take it whenever it can prove the page). `readFirst`: read the statistics and title segments before
   * answering, never answer from those in memory while checking them (`answerChecked`; the reference for tests and benchmarks).
   */
  constructor(
    private readonly db: KeywordSearchStorage,
    private readonly options: { warmIndex?: boolean; commonPostings?: number; exhaustive?: boolean; lookupCost?: number; readFirst?: boolean } = {},
  ) {
    this.reader = new KeywordIndexReader(() => db.searchIndex, HOT_POSTINGS, { store: () => db.warmSnapshots });
    this.titles = new TitleIndexReader(() => db.searchIndex);
    this.commonPostings = options.commonPostings ?? MERGE_MIN_POSTINGS;
    this.lookupCost = options.lookupCost ?? LOOKUP_COST;
  }

  private readonly commonPostings: number;
  private readonly lookupCost: number;

  /** The index reader's running totals: rows read, the warm-up and its snapshot (benchmarks and tests read them). */
  get readerCounters(): Readonly<ReaderCounters> {
    return this.reader.counters;
  }

  async search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]> {
    return (await this.searchDetailed(query, filters, limit)).hits;
  }

  /** Called after each query with where its time went (benchmarks set it). */
  trace: ((trace: KeywordTrace) => void) | null = null;

  async searchDetailed(query: string, filters: SearchFilters, limit: number): Promise<KeywordResult> {
    const started = performance.now();
    const counters = this.reader.counters;
    const before = { decodeMs: counters.decodeMs, decoded: counters.decoded, rowsFetched: counters.rowsFetched };
    const trace: KeywordTrace = { totalMs: 0, readMs: 0, decodeMs: 0, decoded: 0, rowsFetched: 0, scoreMs: 0, selectMs: 0, pageMs: 0, postings: 0, touched: 0, warming: counters.warming, path: 'exhaustive', reran: false };
    const ended = this.reader.queryStarted();
    let result: KeywordResult;
    try {
      result = await withStorageErrors(() => this.answerChecked(parseQuery(query), filters, limit, trace));
    } finally {
      ended();
    }
    if (this.trace) {
      trace.totalMs = performance.now() - started;
      trace.decodeMs = counters.decodeMs - before.decodeMs;
      trace.decoded = counters.decoded - before.decoded;
      trace.rowsFetched = counters.rowsFetched - before.rowsFetched;
      this.trace(trace);
    }
    return result;
  }

  /**
   * Answers from the statistics and titles already in memory, and reads the stored ones (the statistics row and
   * the title log's segments) beside the page's nodes, once every index row the answer needed was read: one
   * storage round trip fewer than reading them first. Every write to the index moves the statistics on (a new
   * segment, a compaction, a deletion's new generation) and every title change adds a log segment, wherever it was
   * written (the import worker, another tab, a pull). So when that read finds both as they were in memory, and no
   * row the listing named had gone, every row read came from the same index as reading first would have; otherwise
   * the query is answered again from what was read. A query never shows what the vault held before it started.
   */
  private async answerChecked(parsed: ParsedQuery, filters: SearchFilters, limit: number, trace: KeywordTrace): Promise<KeywordResult> {
    const read = (): Promise<[StatsRow, number[]]> => Promise.all([this.reader.readStats(), this.titles.segments()]);
    const known = this.reader.known;
    const knownTitles = this.titles.known;
    // The segments those titles were read from, as of now: another query may update them in place meanwhile.
    const titlesFrom = this.titles.readFrom;
    if (known && knownTitles && titlesFrom && !this.options.readFirst) {
      let stored: Promise<[StatsRow, number[]]> | null = null;
      const check = (): void => {
        if (stored) return;
        stored = read();
        stored.catch(() => undefined); // awaited after the answer: not an unhandled rejection meanwhile
      };
      const gone = this.reader.counters.rowsGone;
      const guess = await this.run(parsed, filters, limit, trace, { stats: Promise.resolve(known), titles: Promise.resolve(knownTitles), beforePage: check, real: true });
      check();
      const [stats, segs] = await (stored ?? read());
      if (sameStats(stats, known) && sameSegments(segs, titlesFrom) && this.reader.counters.rowsGone === gone) return guess;
      trace.reran = true;
      trace.pageMs = 0;
      return this.run(parsed, filters, limit, trace, this.adopt(stats, segs));
    }
    const [stats, segs] = await read();
    return this.run(parsed, filters, limit, trace, this.adopt(stats, segs));
  }

  /** The stored statistics and title segments just read, taken as current (caches reset for another vault). */
  private adopt(stats: StatsRow, segs: readonly number[]): View {
    if (this.reader.known?.generation !== stats.generation) this.titles.reset();
    return { stats: Promise.resolve(this.reader.adopt(stats)), titles: this.titles.current(segs), real: true };
  }

  /**
   * `view`: the statistics and titles to answer from (read fresh when not given). `keepStopwords`: rank by every
   * word, for a query whose other words are nowhere in the vault.
   */
  private async run(parsed: ParsedQuery, filters: SearchFilters, limit: number, trace: KeywordTrace, view?: View, keepStopwords = false): Promise<KeywordResult> {
    const started = performance.now();
    const empty: KeywordResult = { parsed, expansions: [], corrections: [], ignored: [], missedPhrases: [], hits: [], total: 0, matchedAll: true, coverage: 0 };
    if (isEmptyQuery(parsed) || limit <= 0) return empty;
    const fields: FieldCode[] =
      filters.role === 'human' ? ['h'] : filters.role === 'assistant' ? ['a'] : filters.includeHidden ? ['h', 'a', 'x'] : ['h', 'a'];

    // The words that rank: everything but the stopwords of the query's language, unless nothing else is left.
    const allWords = [...new Set([...parsed.terms, ...parsed.phrases.flat()])];
    const stop = keepStopwords ? new Set<string>() : queryStopwords(parsed.prefix === null ? allWords : [...allWords, parsed.prefix]);
    let words = allWords.filter((word) => !stop.has(word));
    let prefix = parsed.prefix;
    // A stopword being typed ("what is the") adds nothing to words already there.
    if (prefix !== null && stop.has(prefix) && words.length > 0) prefix = null;
    if (words.length === 0 && prefix === null) words = allWords;
    const ignored = allWords.filter((word) => !words.includes(word));
    const keywordQuery = stop.size === 0 && words.length + (prefix === null ? 0 : 1) <= KEYWORD_QUERY_WORDS;

    // Everything that does not depend on the prefix expansion is read at once: each sequential round trip to
    // IndexedDB costs more than the reads themselves.
    // Not yet compacted index rows are listed once for every term this query reads.
    const statsRead = view?.stats ?? this.reader.stats();
    const pending = this.reader.pendingSegments(statsRead);
    pending.catch(() => undefined); // awaited by every postings read; a query that reads none must not leave it unhandled
    // The expansions' postings are requested as soon as the lexicon answers, not after the words' postings.
    const typed = prefix;
    const prefixGroup =
      typed === null
        ? Promise.resolve({ expansions: [] as string[], group: [] as Variant[] })
        : this.reader.expandPrefix(typed, MAX_EXPANSIONS, pending).then(async (prefixTerms) => {
            // In a longer question the last word is most likely complete: when it is an indexed word, it stands alone.
            const terms = !keywordQuery && prefixTerms[0] === typed ? [typed] : prefixTerms;
            const group = await Promise.all(
              terms.map(async (term) => ({ term, weight: term === typed ? 1 : EXPANSION_WEIGHT, postings: await this.reader.postings(term, fields, pending) })),
            );
            return { expansions: terms, group };
          });
    prefixGroup.catch(() => undefined); // awaited below, after the other reads: not an unhandled rejection meanwhile
    const [stats, docs, exactPostings, titleIndex] = await Promise.all([
      statsRead,
      this.reader.docs(pending),
      Promise.all(words.map((term) => this.reader.postings(term, fields, pending))),
      view?.titles ?? this.titles.current(),
    ]);
    if (stats.docCount === 0) return empty;
    // Titles are neither the person's words nor the replies: a role filter leaves them out.
    const titles: TitleIndex | null = filters.role === 'human' || filters.role === 'assistant' ? null : titleIndex;
    const inTitles = (term: string): boolean => titles?.holders(term) !== undefined;
    // Title words found for each group beyond its variants (prefix expansions and corrections only titles hold).
    const titleOnly: TitleTerm[][] = [];

    // Each group is one query word; a document matches the group when any of its variants is in it.
    const groups: Variant[][] = words.map((term, i) => [{ term, weight: 1, postings: exactPostings[i] ?? new Map() }]);
    const corrections: Correction[] = [];
    const missing: { word: string; group: Variant[] }[] = [];
    groups.forEach((group, i) => {
      const variant = group[0];
      titleOnly.push([]);
      if (variant && postingCount(variant.postings) === 0 && !inTitles(variant.term)) missing.push({ word: words[i] ?? '', group });
    });
    let expansions: string[] = [];
    if (prefix !== null) {
      const expanded = await prefixGroup;
      expansions = expanded.expansions;
      const group = expanded.group;
      groups.push(group);
      const extra = (expansions.length === 1 && expansions[0] === prefix ? [] : (titles?.expandPrefix(prefix, MAX_EXPANSIONS) ?? []))
        .filter((term) => !expansions.includes(term))
        .map((term) => ({ term, weight: term === prefix ? 1 : EXPANSION_WEIGHT }));
      titleOnly.push(extra);
      if (postingCount(group) === 0 && extra.length === 0 && !group.some((variant) => inTitles(variant.term))) missing.push({ word: prefix, group });
    }
    // Typo fallback: a word that matches nothing is searched as the closest indexed words instead.
    for (const { word, group } of missing) {
      const close = await this.reader.closeTerms(word, word.length >= LONG_WORD ? 2 : 1, MAX_CORRECTIONS + 2, pending);
      const variants = await Promise.all(close.map(async (term) => ({ term, weight: CORRECTION_WEIGHT, postings: await this.reader.postings(term, fields, pending) })));
      // A stopword is never a useful correction ("end" is one letter from "and").
      const found = variants.filter((variant) => postingCount(variant.postings) > 0 && !stop.has(variant.term));
      const kept = found.slice(0, MAX_CORRECTIONS);
      appendAll(group, kept);
      // Then the closest words only titles hold.
      const inTitle = (titles?.closeTerms(word, word.length >= LONG_WORD ? 2 : 1, MAX_CORRECTIONS) ?? [])
        .filter((term) => !stop.has(term) && !kept.some((variant) => variant.term === term))
        .slice(0, MAX_CORRECTIONS - kept.length)
        .map((term) => ({ term, weight: CORRECTION_WEIGHT }));
      const only = titleOnly[groups.indexOf(group)];
      if (only) appendAll(only, inTitle);
      if (kept.length + inTitle.length === 0) continue;
      corrections.push({ word, to: [...kept.map((variant) => variant.term), ...inTitle.map((t) => t.term)] });
    }
    const titleMatches = titles
      ? new TitleMatches(
          titles,
          docs,
          groups.map((group, g) => [...group.map(({ term, weight }) => ({ term, weight })), ...(titleOnly[g] ?? [])]),
          stats.docCount,
        )
      : null;

    // Nothing but stopwords matched: they are better than nothing ("when each step happens" finds "each").
    if (!keepStopwords && ignored.length > 0 && groups.every((group) => postingCount(group) === 0) && titleMatches?.any() !== true) return this.run(parsed, filters, limit, trace, view, true);

    if (!this.warming && this.options.warmIndex === true && view?.real === true) {
      // After the first query has its answer: the rows of a small enough index are read in the background.
      this.warming = true;
      // Only a head start: a query reads what it needs itself (and reports a storage failure), so a failed warm-up
      // is said in the console and tried again after a later query.
      setTimeout(() => {
        this.reader.warm(stats).catch((error: unknown) => {
          this.warming = false;
          warmUpStopped(error);
        });
        this.prepare();
      }, 0);
    }
    const capacity = docs.capacity;
    const work = this.takeWorkspace(capacity);
    trace.readMs = performance.now() - started;
    try {
      return await this.rank({ parsed, filters, limit, fields, words, groups, docs, stats, titleMatches, titleIndex, expansions, corrections, ignored, keywordQuery, pending, trace, beforePage: view?.beforePage }, work);
    } finally {
      titleMatches?.release();
      this.releaseWorkspace(work);
    }
  }

  /**
   * Starts the rehearsal (below) unless it ran or runs: the app calls it when the vault opens, so the first query
   * people type finds the documents table, lexicon and titles in memory and the search code compiled. Otherwise the
   * first query starts it. Without `warmIndex`, nothing.
   */
  prepare(): void {
    if (this.rehearsing || this.options.warmIndex !== true) return;
    this.rehearsing = true;
    this.rehearse().catch((error: unknown) => {
      this.rehearsing = false;
      warmUpStopped(error);
    });
  }

  private rehearsing = false;

  /**
   * A few small searches of this vault's own words, each shape REHEARSAL_ROUNDS times (a phrase of two words just
   * common enough to be merged, a rare word with one of them, a prefix, two mid-frequency words, a phrase with a
   * rare word), answered and dropped, one at a time. A page opens with the search code not yet compiled: measured
   * (node, 20k exchanges), the first 300 queries spent 3–5 times longer scoring than the same queries once the
   * engine had seen them, and a second engine with cold data but compiled code spent no more than a warm one. The
   * words are the least common that take each path, so a rehearsal costs a few milliseconds. Until the first query
   * people ask, it goes from one search to the next, yielding between them (from the vault's opening); once they
   * ask, only after no query has run for REHEARSAL_IDLE_MS (while a person reads the results or pauses typing), so
   * it never runs between queries typed in quick succession. It runs beside the rows' warm-up
   * (KeywordIndexReader.warm), which does not wait for it. What it holds afterwards: the documents table (about
   * 40 bytes a document), the lexicon rows and the few postings rows it read, in the reader's bounded caches.
   */
  private async rehearse(): Promise<void> {
    const asked = this.reader.queriesStarted;
    const pause = async (): Promise<void> => {
      if (this.reader.queriesStarted === asked) await this.reader.noQueryRunning();
      // A query came (maybe while waiting): from now on, only in pauses.
      if (this.reader.queriesStarted !== asked) await this.reader.idleFor(REHEARSAL_IDLE_MS);
    };
    await pause();
    const ranked = await this.reader.frequentTerms(REHEARSAL_TERMS);
    if (ranked.length < 8) return;
    const at = (share: number): string => ranked[Math.min(ranked.length - 1, Math.floor(ranked.length * share))]?.[0] ?? '';
    const merged = ranked.filter(([, df]) => df >= this.commonPostings).slice(-2).map(([term]) => term);
    const [first = at(0.1), second = at(0.2)] = merged;
    const rare = at(1);
    const queries = [`"${first} ${second}"`, `${rare} ${first} `, `${at(0.5)} ${at(0.3).slice(0, 3)}`, `${at(0.4)} ${at(0.6)} `, `"${rare} ${second}"`];
    for (let round = 0; round < REHEARSAL_ROUNDS; round++) {
      for (const query of queries) {
        await pause();
        const trace: KeywordTrace = { totalMs: 0, readMs: 0, decodeMs: 0, decoded: 0, rowsFetched: 0, scoreMs: 0, selectMs: 0, pageMs: 0, postings: 0, touched: 0, warming: true, path: 'exhaustive', reran: false };
        await this.run(parseQuery(query), {}, REHEARSAL_LIMIT, trace);
      }
    }
  }

  /** Whether the index rows are being (or were) read ahead: see KeywordIndexReader.warm. */
  private warming = false;

  /** Scoring arrays sized to the documents, reused by the next query (a query in flight holds its own). */
  private spare: Workspace | null = null;

  private takeWorkspace(capacity: number): Workspace {
    const spare = this.spare;
    this.spare = null;
    return spare && spare.scores.length >= capacity ? spare : new Workspace(capacity);
  }

  private releaseWorkspace(work: Workspace): void {
    work.clear();
    this.spare = work;
  }

  private async rank(query: RankInput, work: Workspace): Promise<KeywordResult> {
    const { parsed, limit, fields, words, groups, docs, stats, titleMatches, titleIndex, expansions, corrections, ignored, keywordQuery, pending, trace, beforePage } = query;
    const rankStarted = performance.now();
    const filters = query.filters;
    const docCount = stats.docCount;
    const totalLength = stats.totalLength;
    const capacity = docs.capacity;
    const { scores, matched, stamp, tf, held, touched } = work;
    const fieldWeight = (field: FieldCode): number => (fields.length === 1 ? 1 : FIELD_WEIGHT[field]);
    const average = Math.max(1, fields.reduce((sum, field) => sum + fieldWeight(field) * (totalLength[FIELD_SLOT[field] as 0 | 1 | 2] ?? 0), 0) / docCount);
    // Per-slot weights (0 for a field not searched): the exchange's length without a per-posting loop over fields.
    const slotWeights = [0, 1, 2].map((slot) => {
      const field = fields.find((f) => FIELD_SLOT[f] === slot);
      return field === undefined ? 0 : fieldWeight(field);
    }) as [number, number, number];
    // Per document 1 − B + B × length / average (cached on the docs table while it and the arguments stay the same).
    const lengthNorms = docs.lengthNorms(slotWeights, average, 1, B);
    // Per document 1 when the filters keep it (cached per docs table and filters).
    const allowed = allowMask(docs, filters);
    const allow = (doc: number): boolean => allowed[doc] === 1;
    const conversationOf = docs.conversation;
    let filteredOut: Uint8Array | null = null; // documents the filters exclude, counted once each for df

    const groupIdf = groups.map(() => 0);
    // Very common words: their fields already merged (cached), null for the others (see mergedPostings).
    const mergedOf = groups.map((group) => group.map((variant) => mergedPostings(variant.postings, fieldWeight, capacity, this.commonPostings)));
    /** idf × (K1 + 1) of each variant scored (0 when not): the top-k path bounds the common words' share with it. */
    const factors = groups.map((group) => group.map(() => 0));

    /**
     * Adds one variant's share to the scores of the documents holding it: every one, or (`only`, ascending) just
     * those of a common word's documents that are listed. Per document, the variants are added in the same order
     * either way, so a document's score is the same to the last bit.
     */
    const scoreVariant = (g: number, v: number, only: Uint32Array | null): void => {
      const variant = groups[g]?.[v];
      if (!variant) return;
      const bit = g < 32 ? 1 << g : 0;
      // A very common word: its fields already merged (cached), one pass scores it. Otherwise term frequency over
      // the whole exchange first; the same pass counts the documents holding the variant (its df, filters aside).
      const merged = mergedOf[g]?.[v] ?? null;
      // The documents holding the variant, in the workspace's array (a JS array grown per variant was most of what a
      // query allocated: its young collections, 10–25 ms each here, landed in the slowest queries).
      const inVariant = work.variantDocs;
      let inCount = 0;
      const excluded: number[] = [];
      if (!merged) {
        for (const [field, lists] of variant.postings) {
          const weight = fieldWeight(field);
          for (const list of lists) {
            const ids = list.docIds;
            const tfs = list.tfs;
            for (let i = 0; i < ids.length; i++) {
              const doc = ids[i] ?? 0;
              if (doc >= capacity) continue;
              if (allowed[doc] !== 1) {
                filteredOut ??= new Uint8Array(capacity);
                if (filteredOut[doc] === 0) {
                  filteredOut[doc] = 1;
                  excluded.push(doc);
                }
                continue;
              }
              if (tf[doc] === 0 && inCount < inVariant.length) inVariant[inCount++] = doc;
              tf[doc] = (tf[doc] ?? 0) + weight * (tfs[i] ?? 0);
            }
          }
        }
        if (filteredOut) for (const doc of excluded) filteredOut[doc] = 0;
      }
      const bodyDf = merged ? merged.docIds.length : inCount + excluded.length;
      trace.postings += merged ? (only ? only.length : merged.docIds.length) : postingCount(variant.postings);
      // The title field (title-search.ts): every exchange of a conversation whose title holds the word has it too.
      const titleDf = titleMatches?.extraDf(g, v) ?? 0;
      if (bodyDf + titleDf === 0) return;
      const df = Math.min(docCount, bodyDf + titleDf);
      const idf = Math.log(1 + (docCount - df + 0.5) / (df + 0.5)) * variant.weight;
      titleMatches?.setIdf(g, v, idf);
      groupIdf[g] = Math.max(groupIdf[g] ?? 0, idf);
      if (bodyDf === 0) return;
      // Per conversation, the title's share of the frequency (null when no title holds the variant).
      const titleTf = titleMatches?.titleTfs(g, v) ?? null;
      const factor = idf * (K1 + 1);
      const row = factors[g];
      if (row) row[v] = factor;
      // Each field's frequency normalised by its own length, then one saturation (BM25F). Written out (merged
      // lists of common words; accumulated frequencies of the others): this runs for every posting of every word.
      if (merged) {
        const ids = merged.docIds;
        const sums = merged.tf;
        if (only) {
          let i = 0;
          for (let c = 0; c < only.length; c++) {
            const doc = only[c] ?? 0;
            i = gallop(ids, doc, i);
            if (i >= ids.length) break;
            if (ids[i] !== doc || allowed[doc] !== 1) continue;
            let f = (sums[i] ?? 0) / (lengthNorms[doc] ?? 1);
            if (titleTf) f += titleTf[conversationOf[doc] ?? 0] ?? 0;
            const seen = stamp[doc] ?? -1;
            if (seen === -1) touched.push(doc);
            scores[doc] = (scores[doc] ?? 0) + (factor * f) / (f + K1);
            if (seen !== g) {
              stamp[doc] = g;
              matched[doc] = (matched[doc] ?? 0) + 1;
              held[doc] = (held[doc] ?? 0) | bit;
            }
          }
          return;
        }
        for (let i = 0; i < ids.length; i++) {
          const doc = ids[i] ?? 0;
          if (allowed[doc] !== 1) continue;
          let f = (sums[i] ?? 0) / (lengthNorms[doc] ?? 1);
          if (titleTf) f += titleTf[conversationOf[doc] ?? 0] ?? 0;
          const seen = stamp[doc] ?? -1;
          if (seen === -1) touched.push(doc); // first hit of this document in any group
          scores[doc] = (scores[doc] ?? 0) + (factor * f) / (f + K1);
          if (seen !== g) {
            stamp[doc] = g;
            matched[doc] = (matched[doc] ?? 0) + 1;
            held[doc] = (held[doc] ?? 0) | bit;
          }
        }
        return;
      }
      for (let i = 0; i < inCount; i++) {
        const doc = inVariant[i] ?? 0;
        let f = (tf[doc] ?? 0) / (lengthNorms[doc] ?? 1);
        tf[doc] = 0;
        if (titleTf) f += titleTf[conversationOf[doc] ?? 0] ?? 0;
        const seen = stamp[doc] ?? -1;
        if (seen === -1) touched.push(doc);
        scores[doc] = (scores[doc] ?? 0) + (factor * f) / (f + K1);
        if (seen !== g) {
          stamp[doc] = g;
          matched[doc] = (matched[doc] ?? 0) + 1;
          held[doc] = (held[doc] ?? 0) | bit;
        }
      }
    };
    // Whether the document holds group g's word in its own text (not only in its title).
    const inBody = (doc: number, g: number): boolean =>
      g < 32 ? ((held[doc] ?? 0) & (1 << g)) !== 0 : (groups[g]?.some((variant) => hasDoc(variant.postings, doc)) ?? false);

    const required = groups.length;
    const coordinated = keywordQuery && required > 1;
    /** Short keyword queries: the best score before the bonus for the words held (see `coordinate`). */
    const topScore = (): number => {
      let top = 0;
      for (let i = 0; i < touched.length; i++) top = Math.max(top, scores[touched[i] ?? 0] ?? 0);
      return top;
    };
    /** Short keyword queries: exchanges holding more of the words first; returns whether one holds them all. */
    const coordinate = (top: number): boolean => {
      // Such a query has no stopword, so no stopword can lift an exchange above one holding the rarer words.
      for (let i = 0; i < touched.length; i++) {
        const doc = touched[i] ?? 0;
        scores[doc] = (scores[doc] ?? 0) + (matched[doc] ?? 0) * (top + 1);
      }
      return touched.some((doc) => matched[doc] === required);
    };

    /**
     * The top-k path (MaxScore-like): when some words are common (merged), score only the candidates: the
     * documents of the rarer words (and of conversations whose title holds one), looking the common words up for
     * them. A document outside the candidates holds only common words, so its score is at most the sum of their
     * bounds (largest normalised frequency, title included). When the `limit`-th candidate beats that bound, the
     * page is the exhaustive page, scores and all; `total`, the size of the union, is counted from the common
     * words' bitsets. Otherwise the candidates' scores are dropped and every posting is scored. Returns the
     * total and whether an exchange holds every word, or null.
     */
    const topKScoring = (): { total: number | null; matchedAll: boolean } | null => {
      const { mark } = work;
      // In the workspace's array (each document once: `mark`), `count` of them.
      const candidates = work.candidates;
      let count = 0;
      const dropCandidates = (): null => {
        for (let i = 0; i < count; i++) mark[candidates[i] ?? 0] = 0;
        return null;
      };
      const addCandidate = (doc: number): void => {
        if (doc >= capacity || allowed[doc] !== 1 || mark[doc] === 1) return;
        mark[doc] = 1;
        candidates[count++] = doc;
      };
      // The union of the common words' documents (the workspace's bitset, emptied).
      const common = work.commonBits.fill(0);
      groups.forEach((group, g) =>
        group.forEach((_, v) => {
          const merged = mergedOf[g]?.[v];
          if (!merged) return;
          const bits = membership(merged);
          const n = Math.min(bits.length, common.length);
          for (let w = 0; w < n; w++) common[w] = (common[w] ?? 0) | (bits[w] ?? 0);
        }),
      );
      const inCommon = (doc: number): boolean => (((common[doc >>> 5] ?? 0) >>> (doc & 31)) & 1) === 1;
      const byConversation = titleMatches ? conversationDocs(docs) : null;
      /** Exchanges of conversations whose title holds the variant lift by it: those any word found are candidates. */
      const addTitled = (g: number, v: number): void => {
        if (!titleMatches || !byConversation) return;
        const { start, docs: inConversation } = byConversation;
        for (const conversation of titleMatches.conversationsOf(g, v)) {
          for (let i = start[conversation] ?? 0; i < (start[conversation + 1] ?? 0); i++) {
            const doc = inConversation[i] ?? 0;
            if (inCommon(doc)) addCandidate(doc);
          }
        }
      };
      // Essential variants: their documents are the candidates. The rarer words' are, and so are the words only titles hold.
      const essential = mergedOf.map((row) => row.map((merged) => merged === null));
      groups.forEach((group, g) =>
        group.forEach((variant, v) => {
          if (!essential[g]?.[v]) return;
          variant.postings.forEach((lists) => {
            for (const list of lists) {
              const ids = list.docIds;
              for (let i = 0; i < ids.length; i++) addCandidate(ids[i] ?? 0);
            }
          });
        }),
      );
      for (let g = 0; g < groups.length; g++) for (let v = 0; v < (titleMatches?.variants(g) ?? 0); v++) if (essential[g]?.[v] !== false) addTitled(g, v);
      // Too few for a page: the common words become essential too, the rarest first, until there are enough.
      const promotable = groups
        .flatMap((group, g) => group.map((_, v) => ({ g, v, size: mergedOf[g]?.[v]?.docIds.length ?? 0 })))
        .filter(({ g, v }) => essential[g]?.[v] === false)
        .sort((x, y) => x.size - y.size);
      for (const { g, v } of promotable) {
        if (count >= limit) break;
        const row = essential[g];
        if (row) row[v] = true;
        const ids = mergedOf[g]?.[v]?.docIds ?? [];
        for (let i = 0; i < ids.length; i++) addCandidate(ids[i] ?? 0);
        addTitled(g, v);
      }
      // A quoted phrase: every exchange holding it must be a candidate, so one of its words is essential (the rarest).
      const phraseGroups = words.flatMap((word, g) => (parsed.phrases.some((phrase) => phrase.includes(word)) ? [g] : []));
      if (parsed.phrases.length > 0 && !phraseGroups.some((g) => essential[g]?.every(Boolean) === true)) {
        const size = (g: number): number => (mergedOf[g] ?? []).reduce((n, merged) => n + (merged?.docIds.length ?? 0), 0);
        const rarest = [...phraseGroups].sort((x, y) => size(x) - size(y))[0];
        if (rarest === undefined) {
          trace.path = 'exhaustive';
          return dropCandidates();
        }
        (groups[rarest] ?? []).forEach((_, v) => {
          const row = essential[rarest];
          if (!row || row[v]) return;
          row[v] = true;
          const ids = mergedOf[rarest]?.[v]?.docIds ?? [];
          for (let i = 0; i < ids.length; i++) addCandidate(ids[i] ?? 0);
          addTitled(rarest, v);
        });
      }
      const rest = essential.some((row) => row.some((isEssential) => !isEssential));
      // Worth it only when the common words looked up hold many more documents than there are candidates: measured
      // (BENCH_COMPARE), looking every candidate up in a list about as long costs more than scoring the list.
      let lookedUp = 0;
      let lookUps = 0;
      groups.forEach((group, g) =>
        group.forEach((_, v) => {
          const merged = mergedOf[g]?.[v];
          if (!merged || essential[g]?.[v] !== false) return;
          lookedUp += merged.docIds.length;
          lookUps += 1;
        }),
      );
      if (!rest || count * lookUps * this.lookupCost > lookedUp) {
        trace.path = 'costly';
        return dropCandidates();
      }
      // Proven: no exchange outside the candidates can be on the page (checked below). A phrase query needs that only
      // when nothing holds its phrases and its words are ranked instead.
      let proven = true;
      if (rest && count < limit) {
        trace.path = 'few candidates';
        if (parsed.phrases.length === 0) return dropCandidates();
        proven = false;
      }
      // Sorted in place: no candidate is added from here on.
      const only = candidates.subarray(0, count).sort();
      groups.forEach((group, g) => group.forEach((_, v) => scoreVariant(g, v, only)));
      const scored = touched.length;
      // A conversation is found by its exchanges' words when any allowed exchange of it holds one.
      const represented = (conversation: number): boolean => {
        if (!byConversation) return false;
        for (let i = byConversation.start[conversation] ?? 0; i < (byConversation.start[conversation + 1] ?? 0); i++) {
          const doc = byConversation.docs[i] ?? 0;
          if (allowed[doc] === 1 && (mark[doc] === 1 || inCommon(doc))) return true;
        }
        return false;
      };
      titleMatches?.lift(scores, matched, touched, allow, inBody, represented);
      // What a document holding only the other common words can score (and how many words it can hold).
      let bound = 0;
      let commonGroups = 0;
      groups.forEach((group, g) => {
        let holds = false;
        group.forEach((_, v) => {
          const merged = mergedOf[g]?.[v];
          const factor = factors[g]?.[v] ?? 0;
          if (!merged || factor === 0 || essential[g]?.[v] === true) return;
          holds = true;
          const f = maxRatio(merged, lengthNorms) + (titleMatches?.maxTitleTf(g, v) ?? 0);
          bound += (factor * f) / (f + K1);
        });
        if (holds) commonGroups += 1;
      });
      const margin = (value: number): number => value * (1 + 1e-9) + 1e-12;
      let matchedAll = true;
      if (coordinated) {
        const top = topScore();
        // The bonus is scaled by the best score of all: it must be a candidate's.
        if (rest && !(top > margin(bound))) {
          trace.path = 'bound';
          return dropCandidates();
        }
        matchedAll = coordinate(top);
        bound += commonGroups * (top + 1);
      }
      const best = topK(touched, scores, limit);
      const last = best[limit - 1];
      if (proven && rest && (last === undefined || !((scores[last] ?? 0) > margin(bound)))) {
        trace.path = 'bound';
        if (parsed.phrases.length === 0) return dropCandidates();
        proven = false;
      }
      if (!proven) {
        // An exchange holding every word holds the essential phrase word too: it is a candidate.
        dropCandidates();
        return { total: null, matchedAll };
      }
      // The union: the common words' allowed documents, the candidates they do not hold, and the title-only exchanges.
      const allowedBits = allowBits(docs, filters);
      let total = 0;
      for (let w = 0; w < common.length; w++) total += popcount((common[w] ?? 0) & (allowedBits[w] ?? 0));
      for (let i = 0; i < count; i++) if (!inCommon(candidates[i] ?? 0)) total += 1;
      total += touched.length - scored;
      dropCandidates();
      return { total, matchedAll };
    };

    /** Every posting of every word scored (after a top-k attempt that could not answer, its scores dropped first). */
    const scoreAll = (): void => {
      work.clear();
      groups.forEach((group, g) => group.forEach((_, v) => scoreVariant(g, v, null)));
      // The title field: lifts the exchanges of conversations whose title holds the words, adds one for each
      // conversation only its title found.
      titleMatches?.lift(scores, matched, touched, allow, inBody);
      if (coordinated) matchedAll = coordinate(topScore());
    };
    let total: number | null = null;
    let matchedAll = true;
    const eligible = !this.options.exhaustive && limit > 0 && mergedOf.some((row) => row.some((merged) => merged !== null));
    const fast = eligible ? topKScoring() : null;
    if (fast) {
      ({ total, matchedAll } = fast);
      trace.path = total === null ? 'top-k phrase' : 'top-k';
    } else scoreAll();

    const scoredAt = performance.now();
    trace.scoreMs = scoredAt - rankStarted;
    const version = indexVersion(stats);
    trace.touched = touched.length;
    const page = async (ranked: readonly number[]): Promise<RankedHit[]> => {
      const pageStarted = performance.now();
      // The page's read first, then the check's (two small transactions of the index table) beside it: measured at
      // 100k (ABAB, kept profile), page p50 7.2 / 7.8 ms against 7.4 / 8.4 with the check issued first.
      const reading = this.pageHits(ranked, docs, scores, titleIndex, version);
      beforePage?.();
      const hits = await reading;
      trace.pageMs += performance.now() - pageStarted;
      return hits;
    };

    const idfTotal = groupIdf.reduce((a, b) => a + b, 0);
    const finish = (hits: RankedHit[], total: number, missedPhrases: string[][]): KeywordResult => {
      trace.selectMs = performance.now() - scoredAt - trace.pageMs;
      const top = hits[0]?.node?.docId;
      let heldIdf = 0;
      if (top !== undefined) {
        groups.forEach((group, g) => (group.some((variant) => hasDoc(variant.postings, top)) || titleMatches?.holds(top, g) === true ? (heldIdf += groupIdf[g] ?? 0) : undefined));
      }
      return { parsed, expansions, corrections, ignored, missedPhrases, hits, total, matchedAll, coverage: idfTotal > 0 ? heldIdf / idfTotal : 0 };
    };

    const phrases = parsed.phrases;
    if (phrases.length > 0) {
      // Candidates for the phrase check hold every ranked word of every phrase.
      const phraseGroups = words.flatMap((word, g) => (phrases.some((phrase) => phrase.includes(word)) ? [g] : []));
      // Usually every ranked word is a phrase word, and the count of matched words answers without a lookup.
      const holdsPhraseWords =
        phraseGroups.length === required
          ? (doc: number): boolean => matched[doc] === required
          : (doc: number): boolean => phraseGroups.every((g) => inBody(doc, g) || titleMatches?.holds(doc, g) === true);
      const candidates = touched.filter(holdsPhraseWords);
      // Each phrase checked from the word positions in the index; a phrase word ranking ignores (a stopword) is read here.
      const byWord = new Map<string, Map<FieldCode, Postings[]>>();
      words.forEach((word, g) => {
        const exact = groups[g]?.[0];
        if (exact?.term === word) byWord.set(word, exact.postings);
      });
      const unread = [...new Set(phrases.flat())].filter((word) => !byWord.has(word));
      const read = await Promise.all(unread.map((word) => this.reader.postings(word, fields, pending)));
      unread.forEach((word, i) => byWord.set(word, read[i] ?? new Map<FieldCode, Postings[]>()));
      const titlePhrase = phrases.map((phrase) => titleMatches?.phraseConversations(phrase) ?? new Set<number>());
      const titleHasPhrase = (doc: number, p: number): boolean => titlePhrase[p]?.has(conversationOf[doc] ?? -1) === true;
      const wordLists = phrases.map((phrase) => phrase.map((word) => byWord.get(word) ?? new Map<FieldCode, Postings[]>()));
      const classify = (checked: ArrayLike<number>, statuses: Uint8Array[]): { found: number[]; unsure: number[] } => {
        const found: number[] = [];
        const unsure: number[] = [];
        for (let c = 0; c < checked.length; c++) {
          const doc = checked[c] ?? 0;
          let verdict = PHRASE_YES;
          for (let p = 0; p < phrases.length && verdict !== PHRASE_NO; p++) {
            const status = statuses[p]?.[c] ?? PHRASE_NO;
            if (status === PHRASE_YES || titleHasPhrase(doc, p)) continue;
            verdict = status === PHRASE_UNKNOWN ? PHRASE_UNKNOWN : PHRASE_NO;
          }
          if (verdict === PHRASE_YES) found.push(doc);
          else if (verdict === PHRASE_UNKNOWN) unsure.push(doc);
        }
        return { found, unsure };
      };
      // The best ranked candidates first, looked up one by one, in rounds of growing size: when those checked hold
      // `limit` matches, they are the best matches of all (every candidate not checked ranks below every one
      // checked). Once a round would look up more than a share of the candidates, every candidate is checked in
      // one walk over the lists instead (then `total` is exact). A phrase of common words ("of the") is held by a
      // fair share of its candidates: a few hundred look-ups find the page, where the walk read every position.
      let found: number[] = [];
      let unsure: number[] = [];
      let checked = 0;
      let exhaustive = false;
      for (let size = Math.max(limit * PHRASE_FIRST_CHECKS, 100); ; size *= PHRASE_ROUND_GROWTH) {
        const ranked = topK(candidates, scores, Math.min(candidates.length, size));
        const fresh = ranked.slice(checked);
        const round = classify(fresh, wordLists.map((lists, p) => phraseStatusOf(phrases[p] ?? [], lists, fields, fresh)));
        appendAll(found, round.found);
        appendAll(unsure, round.unsure);
        checked = ranked.length;
        exhaustive = checked === candidates.length;
        if (found.length >= limit || exhaustive || size * PHRASE_ROUND_GROWTH > candidates.length * PHRASE_LOOKUP_SHARE) break;
      }
      if (found.length < limit && !exhaustive) {
        const sorted = Uint32Array.from(candidates).sort();
        ({ found, unsure } = classify(sorted, wordLists.map((lists, p) => phraseStatus(phrases[p] ?? [], lists, fields, sorted))));
        exhaustive = true;
      }
      const bound = exhaustive ? found.length + unsure.length : candidates.length;
      if (unsure.length === 0 && found.length > 0) return finish(await page(topK(found, scores, limit)), bound, []);
      if (unsure.length > 0) {
        // Rows from before positions were kept: those candidates are checked against their stored text.
        const sure = new Set(found);
        const ranked = topK([...found, ...unsure], scores, Math.min(found.length + unsure.length, found.length + MAX_PHRASE_CHECKS));
        const titleHas = (conversationId: string, phrase: readonly string[]): boolean => titleMatches?.hasPhrase(conversationId, phrase) === true;
        beforePage?.();
        const hits = await this.phraseHits(ranked, docs, scores, phrases, fields, limit, titleHas, titleIndex, sure, version);
        if (hits.length > 0) return finish(hits, hits.length < limit ? hits.length : bound, []);
      }
      // The words ranked instead: the top-k path scored only the phrase's candidates unless it proved the page.
      if (fast && total === null) scoreAll();
      const hitsByWords = await page(topK(touched, scores, limit));
      return finish(hitsByWords, total ?? touched.length, phrases.map((phrase) => [...phrase]));
    }
    return finish(await page(topK(touched, scores, limit)), total ?? touched.length, []);
  }

  /**
   * The nodes of `ranked` documents, by the chunk the index recorded for each where the storage has chunks, with the
   * version of the index ranked with (chunks an earlier page read under it are taken from memory).
   */
  private readNodes(ranked: readonly number[], docs: DocsTable, version: string): Promise<(NodeRow | undefined)[]> {
    const ids = ranked.map((doc) => docs.nodeId[doc] ?? '');
    const nodes = this.db.nodes;
    return nodes.bulkGetPlaced ? nodes.bulkGetPlaced(ids, ranked.map((doc) => docs.chunk[doc] ?? 0), version) : nodes.bulkGet(ids);
  }

  /** Without a phrase every candidate is a hit: read just the page, titles the title index lacks in the same round. */
  private async pageHits(ranked: readonly number[], docs: DocsTable, scores: Float64Array, titleIndex: TitleIndex, version: string): Promise<RankedHit[]> {
    const conversationIds = [...new Set(ranked.map((doc) => conversationIdOf(docs, doc)))].filter((id) => titleIndex.title(id) === undefined);
    const [nodes, conversations] = await Promise.all([
      this.readNodes(ranked, docs, version),
      conversationIds.length > 0 ? this.db.conversations.bulkGet(conversationIds) : Promise.resolve([]),
    ]);
    const titles = new Map(conversations.flatMap((c) => (c ? [[c.id, c.title] as const] : [])));
    return nodes.flatMap((node) => (node ? [toHit(node, scores, titleIndex.title(node.conversationId) ?? titles.get(node.conversationId))] : []));
  }

  /**
   * With a phrase, candidates are checked against their stored text, best ranked first. The texts are read in
   * small chunks with the next one already requested, so IndexedDB fetches while we check, and the check stops
   * once `limit` hits are found (at most PHRASE_READ_AHEAD chunks read in vain: each read costs per row, not
   * per byte). The hits' titles are requested as soon as they are known, overlapping the remaining reads
   * instead of costing a round trip at the end.
   */
  private async phraseHits(
    ranked: readonly number[],
    docs: DocsTable,
    scores: Float64Array,
    phrases: readonly (readonly string[])[],
    fields: readonly FieldCode[],
    limit: number,
    titleHas: (conversationId: string, phrase: readonly string[]) => boolean,
    titleIndex: TitleIndex,
    sure: ReadonlySet<number>,
    version: string,
  ): Promise<RankedHit[]> {
    const chunks: number[][] = [];
    for (let i = 0; i < ranked.length; i += PHRASE_CHUNK) chunks.push(ranked.slice(i, i + PHRASE_CHUNK));
    const reads: Promise<(NodeRow | undefined)[]>[] = [];
    const request = (c: number): void => {
      const chunk = chunks[c];
      if (!chunk || reads[c] !== undefined) return;
      const read = this.readNodes(chunk, docs, version);
      // A read requested ahead may never be awaited (enough hits already): its failure must not go unhandled.
      read.catch(() => undefined);
      reads[c] = read;
    };
    const found: NodeRow[] = [];
    const titleReads: Promise<({ id: string; title: string } | undefined)[]>[] = [];
    const asked = new Set<string>();
    for (let c = 0; c < chunks.length && found.length < limit; c++) {
      for (let ahead = c; ahead <= c + PHRASE_READ_AHEAD; ahead++) request(ahead);
      const nodes = await (reads[c] ?? Promise.resolve([]));
      const fresh: string[] = [];
      for (const node of nodes) {
        if (!node) continue;
        if (!sure.has(node.docId) && !phrases.every((phrase) => phraseIn(node, phrase, fields) || titleHas(node.conversationId, phrase))) continue;
        found.push(node);
        if (!asked.has(node.conversationId) && titleIndex.title(node.conversationId) === undefined) {
          asked.add(node.conversationId);
          fresh.push(node.conversationId);
        }
        if (found.length >= limit) break;
      }
      if (fresh.length > 0) {
        const read = this.db.conversations.bulkGet(fresh);
        read.catch(() => undefined); // awaited below, maybe after it fails: not an unhandled rejection meanwhile
        titleReads.push(read);
      }
    }
    const titles = new Map((await Promise.all(titleReads)).flat().flatMap((c) => (c ? [[c.id, c.title] as const] : [])));
    return found.map((node) => toHit(node, scores, titleIndex.title(node.conversationId) ?? titles.get(node.conversationId)));
  }
}

function conversationIdOf(docs: DocsTable, doc: number): string {
  return docs.conversationIds[docs.conversation[doc] ?? -1] ?? '';
}

function toHit(node: NodeRow, scores: Float64Array, conversationTitle: string | undefined): RankedHit {
  return { nodeId: node.id, score: scores[node.docId] ?? 0, node, ...(conversationTitle !== undefined ? { conversationTitle } : {}) };
}

function postingCount(source: Map<FieldCode, Postings[]> | readonly Variant[]): number {
  const maps = source instanceof Map ? [source] : source.map((variant) => variant.postings);
  let count = 0;
  for (const map of maps) for (const lists of map.values()) for (const list of lists) count += list.docIds.length;
  return count;
}

function hasDoc(byField: Map<FieldCode, Postings[]>, doc: number): boolean {
  for (const lists of byField.values()) for (const list of lists) if (binarySearch(list.docIds, doc)) return true;
  return false;
}

function binarySearch(sorted: Uint32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo] === value;
}

function filterFn(docs: DocsTable, filters: SearchFilters): (doc: number) => boolean {
  const providers = filters.providers && filters.providers.length > 0 ? new Set(filters.providers.map((p) => PROVIDERS.indexOf(p))) : null;
  const from = filters.from ?? null;
  const to = filters.to ?? null;
  const conversation = filters.conversationId ? docs.conversationNumber(filters.conversationId) : null;
  const branches = filters.includeBranches === true;
  return (doc) => {
    if (!docs.present[doc]) return false;
    if (!branches && !docs.active[doc]) return false;
    if (providers && !providers.has(docs.provider[doc] ?? -1)) return false;
    if (conversation !== null && docs.conversation[doc] !== conversation) return false;
    if (from !== null || to !== null) {
      const at = docs.createdAt[doc] ?? Number.NaN;
      if (Number.isNaN(at)) return false;
      if (from !== null && at < from) return false;
      if (to !== null && at > to) return false;
    }
    return true;
  };
}

/** The k best documents by score, best first (a bounded min-heap: candidates can be tens of thousands). */
function topK(candidates: readonly number[], scores: Float64Array, k: number): number[] {
  if (k <= 0) return [];
  const heap: number[] = [];
  const less = (x: number, y: number): boolean => (scores[x] ?? 0) < (scores[y] ?? 0) || ((scores[x] ?? 0) === (scores[y] ?? 0) && x > y);
  const swap = (i: number, j: number): void => {
    const t = heap[i] ?? 0;
    heap[i] = heap[j] ?? 0;
    heap[j] = t;
  };
  const down = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l] ?? 0, heap[m] ?? 0)) m = l;
      if (r < heap.length && less(heap[r] ?? 0, heap[m] ?? 0)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let c = 0; c < candidates.length; c++) {
    const doc = candidates[c] ?? 0;
    if (heap.length < k) {
      heap.push(doc);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(heap[i] ?? 0, heap[parent] ?? 0)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (less(heap[0] ?? 0, doc)) {
      heap[0] = doc;
      down(0);
    }
  }
  return heap.sort((x, y) => (less(x, y) ? 1 : less(y, x) ? -1 : 0));
}

function phraseIn(node: NodeRow, phrase: readonly string[], fields: readonly FieldCode[]): boolean {
  if (fields.includes('h') && containsPhrase(node.human.text, phrase)) return true;
  if (fields.includes('a') && node.assistant && containsPhrase(node.assistant.text, phrase)) return true;
  return fields.includes('x') && containsPhrase(hiddenText(node), phrase);
}
