/**
 * BM25 keyword search over the persisted index (keyword-index.ts). All words are required (with a fallback to
 * "any word" when nothing has them all), the last word matches as a prefix while typing, quoted phrases are
 * verified against the stored text. Filters are applied from in-memory per-document facts, before ranking.
 *
 *   class KeywordSearch implements ResultSource {
 *     constructor(db: VaultDatabase)
 *     search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]>
 *     searchDetailed(query: string, filters: SearchFilters, limit: number): Promise<KeywordResult>
 *   }
 */
import { PROVIDERS } from '../../../shared/model';
import type { NodeRow, VaultDatabase } from '../db/database';
import { withStorageErrors } from '../db/database';
import { hiddenText, KeywordIndexReader, type DocsTable, type FieldCode } from './keyword-index';
import { isEmptyQuery, parseQuery, type ParsedQuery } from './query';
import { containsPhrase } from './snippets';
import type { RankedHit, ResultSource, SearchFilters } from './types';

const K1 = 1.2;
const B = 0.75;
const FIELD_WEIGHT: Record<FieldCode, number> = { h: 1, a: 1, x: 0.4 };
const FIELD_SLOT: Record<FieldCode, number> = { h: 0, a: 1, x: 2 };
/** Prefix expansions considered for the last word (the most frequent terms). */
const MAX_EXPANSIONS = 8;
/** Expansions rank a little below the exact word. */
const EXPANSION_WEIGHT = 0.7;
/** Best-ranked candidates (holding every word) checked against the stored text when the query has a phrase. */
const MAX_PHRASE_CHECKS = 300;
/** Candidates per phrase-check read, and how many reads run ahead of the check (measured: see phraseHits). */
const PHRASE_CHUNK = 40;
const PHRASE_READ_AHEAD = 1;

export interface KeywordResult {
  parsed: ParsedQuery;
  /** Indexed words the prefix expanded to. */
  expansions: string[];
  hits: RankedHit[];
  /** Documents that matched before the limit (phrase queries: an upper bound). */
  total: number;
  /** False when no document had every word and the ranking fell back to "any word". */
  matchedAll: boolean;
}

export class KeywordSearch implements ResultSource {
  readonly id = 'keyword';
  private readonly reader: KeywordIndexReader;

  constructor(private readonly db: VaultDatabase) {
    this.reader = new KeywordIndexReader(() => db.searchIndex);
  }

  async search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]> {
    return (await this.searchDetailed(query, filters, limit)).hits;
  }

  async searchDetailed(query: string, filters: SearchFilters, limit: number): Promise<KeywordResult> {
    return withStorageErrors(() => this.run(parseQuery(query), filters, limit));
  }

  private async run(parsed: ParsedQuery, filters: SearchFilters, limit: number): Promise<KeywordResult> {
    const empty: KeywordResult = { parsed, expansions: [], hits: [], total: 0, matchedAll: true };
    if (isEmptyQuery(parsed) || limit <= 0) return empty;
    const fields: FieldCode[] =
      filters.role === 'human' ? ['h'] : filters.role === 'assistant' ? ['a'] : filters.includeHidden ? ['h', 'a', 'x'] : ['h', 'a'];
    const exactTerms = [...new Set([...parsed.terms, ...parsed.phrases.flat()])];
    // Everything that does not depend on the prefix expansion is read at once: each sequential round trip to
    // IndexedDB costs more than the reads themselves.
    const prefix = parsed.prefix;
    const [stats, docs, expanded, exactPostings] = await Promise.all([
      this.reader.stats(),
      this.reader.docs(),
      prefix === null
        ? Promise.resolve({ expansions: [], postings: [] })
        : this.reader.expandPrefix(prefix, MAX_EXPANSIONS).then(async (expansions) => ({
            expansions,
            postings: await Promise.all(expansions.map((term) => this.reader.postings(term, fields))),
          })),
      Promise.all(exactTerms.map((term) => this.reader.postings(term, fields))),
    ]);
    const expansions = expanded.expansions;
    if (stats.docCount === 0) return empty;

    // Each group must match (AND); a group matches when any of its variants does.
    const groups: { term: string; weight: number }[][] = exactTerms.map((term) => [{ term, weight: 1 }]);
    if (prefix !== null) {
      if (expansions.length === 0) return empty;
      groups.push(expansions.map((term) => ({ term, weight: term === prefix ? 1 : EXPANSION_WEIGHT })));
    }

    const capacity = docs.capacity;
    const scores = new Float64Array(capacity);
    const matched = new Uint8Array(capacity);
    const stamp = new Int32Array(capacity).fill(-1);
    const touched: number[] = [];
    const avg = [0, 1, 2].map((slot) => Math.max(1, (stats.totalLength[slot as 0 | 1 | 2] ?? 0) / stats.docCount));
    const allow = filterFn(docs, filters);

    const variantPostings = [...exactPostings.map((p) => [p]), ...(prefix === null ? [] : [expanded.postings])];
    groups.forEach((group, g) => {
      group.forEach((variant, v) => {
        const byField = variantPostings[g]?.[v];
        if (!byField) return;
        const df = documentFrequency(byField, capacity);
        const idf = Math.log(1 + (stats.docCount - df + 0.5) / (df + 0.5)) * variant.weight;
        for (const [field, lists] of byField) {
          const slot = FIELD_SLOT[field];
          const weight = FIELD_WEIGHT[field] * idf;
          const average = avg[slot] ?? 1;
          for (const list of lists) {
            for (let i = 0; i < list.docIds.length; i++) {
              const doc = list.docIds[i] ?? 0;
              if (doc >= capacity || !allow(doc)) continue;
              const tf = list.tfs[i] ?? 0;
              const length = docs.lengths[doc * 3 + slot] ?? 0;
              if (stamp[doc] === -1) touched.push(doc); // first hit of this document in any group
              scores[doc] = (scores[doc] ?? 0) + (weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / average));
              if (stamp[doc] !== g) {
                stamp[doc] = g;
                matched[doc] = (matched[doc] ?? 0) + 1;
              }
            }
          }
        }
      });
    });

    const required = groups.length;
    let candidates = touched.filter((doc) => matched[doc] === required);
    let matchedAll = true;
    // Nothing has every word: rank by how many words match, so a typo in one word still finds something.
    if (candidates.length === 0 && required > 1 && parsed.phrases.length === 0) {
      candidates = touched;
      matchedAll = false;
      for (const doc of candidates) scores[doc] = (scores[doc] ?? 0) + (matched[doc] ?? 0) * 1000;
    }
    const total = candidates.length;
    const want = parsed.phrases.length > 0 ? Math.min(total, MAX_PHRASE_CHECKS) : limit;
    const ranked = topK(candidates, scores, want);

    const hits =
      parsed.phrases.length > 0
        ? await this.phraseHits(ranked, docs, scores, parsed.phrases, fields, limit)
        : await this.pageHits(ranked, docs, scores);
    // With a phrase, `total` counted documents holding its words; fewer hits than asked means we checked them all.
    const phraseTotal = hits.length < limit ? hits.length : total;
    return { parsed, expansions, hits, total: parsed.phrases.length > 0 ? phraseTotal : total, matchedAll };
  }

  /** Without a phrase every candidate is a hit: read just the page, titles in the same round. */
  private async pageHits(ranked: readonly number[], docs: DocsTable, scores: Float64Array): Promise<RankedHit[]> {
    const conversationIds = [...new Set(ranked.map((doc) => conversationIdOf(docs, doc)))];
    const [nodes, conversations] = await Promise.all([
      this.db.nodes.bulkGet(ranked.map((doc) => docs.nodeId[doc] ?? '')),
      this.db.conversations.bulkGet(conversationIds),
    ]);
    const titles = new Map(conversations.flatMap((c) => (c ? [[c.id, c.title] as const] : [])));
    return nodes.flatMap((node) => (node ? [toHit(node, scores, titles.get(node.conversationId))] : []));
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
  ): Promise<RankedHit[]> {
    const chunks: number[][] = [];
    for (let i = 0; i < ranked.length; i += PHRASE_CHUNK) chunks.push(ranked.slice(i, i + PHRASE_CHUNK));
    const reads: Promise<(NodeRow | undefined)[]>[] = [];
    const request = (c: number): void => {
      const chunk = chunks[c];
      if (!chunk || reads[c] !== undefined) return;
      const read = this.db.nodes.bulkGet(chunk.map((doc) => docs.nodeId[doc] ?? ''));
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
        if (!node || !phrases.every((phrase) => phraseIn(node, phrase, fields))) continue;
        found.push(node);
        if (!asked.has(node.conversationId)) {
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
    return found.map((node) => toHit(node, scores, titles.get(node.conversationId)));
  }
}

function conversationIdOf(docs: DocsTable, doc: number): string {
  return docs.conversationIds[docs.conversation[doc] ?? -1] ?? '';
}

function toHit(node: NodeRow, scores: Float64Array, conversationTitle: string | undefined): RankedHit {
  return { nodeId: node.id, score: scores[node.docId] ?? 0, node, ...(conversationTitle !== undefined ? { conversationTitle } : {}) };
}

function documentFrequency(byField: Map<FieldCode, { docIds: Uint32Array }[]>, capacity: number): number {
  const lists = [...byField.values()].flat();
  if (lists.length === 1) return lists[0]?.docIds.length ?? 0;
  const seen = new Uint8Array(capacity);
  let df = 0;
  for (const list of lists) {
    for (const doc of list.docIds) {
      if (doc < capacity && !seen[doc]) {
        seen[doc] = 1;
        df++;
      }
    }
  }
  return df;
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
  for (const doc of candidates) {
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
