/**
 * The search service the UI calls: keyword search, any registered semantic (vector) sources, reciprocal rank
 * fusion, filters and snippets. The embeddings work plugs in with `registerSource` and nothing else.
 *
 *   class SearchService {
 *     constructor(db: VaultDatabase)
 *     registerSource(source: ResultSource): () => void          // semantic source; returns unregister
 *     hasSemantic(): boolean
 *     search(query: string, options?: SearchOptions): Promise<SearchResponse>
 *   }
 *   reciprocalRankFusion(lists: readonly RankedHit[][], k?: number): FusedHit[]
 *   matchesFilters(node: NodeRow, filters: SearchFilters): boolean
 */
import type { Provider } from '../../../shared/model';
import type { NodeRow, VaultDatabase } from '../db/database';
import { withStorageErrors } from '../db/database';
import { hiddenText } from './keyword-index';
import { KeywordSearch, type KeywordResult } from './keyword-search';
import { parseQuery } from './query';
import { makeSnippet, matchSpecFor, type MatchSpec, type Snippet } from './snippets';
import type { RankedHit, ResultSource, SearchFilters, SearchMode } from './types';

export type { RankedHit, ResultSource, SearchFilters, SearchMode } from './types';
export type { Correction } from './keyword-search';

/** The usual RRF constant: damps the head so one source cannot dominate. */
export const RRF_K = 60;

export interface SearchOptions {
  mode?: SearchMode;
  filters?: SearchFilters;
  limit?: number;
}

export interface SearchResult {
  nodeId: string;
  conversationId: string;
  conversationTitle: string;
  provider: Provider;
  createdAt: number | null;
  /** Position of the exchange in its thread: the reader scrolls to it. */
  ordinal: number;
  active: boolean;
  /** Fused score (keyword mode: the BM25 score). */
  score: number;
  /** 1-based rank in each source that found it, by source id. */
  ranks: Record<string, number>;
  snippet: Snippet;
}

export interface SearchResponse {
  query: string;
  mode: SearchMode;
  results: SearchResult[];
  /** Keyword matches before the limit (0 in semantic mode). */
  keywordTotal: number;
  /** False when no exchange had every word and keyword results match only some of them. */
  matchedAll: boolean;
  /** Words that matched nothing and the close indexed words searched instead. */
  corrections: KeywordResult['corrections'];
  /** Quoted phrases no exchange holds (their words were searched instead). */
  missedPhrases: string[][];
  /** Sources the mode asked for that are not available (e.g. 'semantic' before any embeddings exist). */
  unavailable: string[];
  tookMs: number;
}

export interface FusedHit {
  nodeId: string;
  score: number;
  /** Rank (1-based) in each input list, undefined where absent. */
  ranks: (number | undefined)[];
  node?: NodeRow;
  conversationTitle?: string;
}

export function reciprocalRankFusion(lists: readonly (readonly RankedHit[])[], k = RRF_K): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  lists.forEach((list, l) => {
    list.forEach((hit, i) => {
      let entry = fused.get(hit.nodeId);
      if (!entry) fused.set(hit.nodeId, (entry = { nodeId: hit.nodeId, score: 0, ranks: lists.map(() => undefined) }));
      if (entry.ranks[l] !== undefined) return;
      entry.ranks[l] = i + 1;
      entry.score += 1 / (k + i + 1);
      if (!entry.node && hit.node) entry.node = hit.node;
      if (entry.conversationTitle === undefined && hit.conversationTitle !== undefined) entry.conversationTitle = hit.conversationTitle;
    });
  });
  return [...fused.values()].sort((x, y) => y.score - x.score || x.nodeId.localeCompare(y.nodeId));
}

export function matchesFilters(node: NodeRow, filters: SearchFilters): boolean {
  if (!filters.includeBranches && !node.active) return false;
  if (filters.providers && filters.providers.length > 0 && !filters.providers.includes(node.provider)) return false;
  if (filters.conversationId && node.conversationId !== filters.conversationId) return false;
  if (filters.from != null || filters.to != null) {
    if (node.createdAt === null) return false;
    if (filters.from != null && node.createdAt < filters.from) return false;
    if (filters.to != null && node.createdAt > filters.to) return false;
  }
  return true;
}

/** What snippets mark: the words that ranked (not ignored stopwords), corrections, and phrases that were found. */
function keywordMatchSpec(keyword: KeywordResult): MatchSpec {
  const ignored = new Set(keyword.ignored);
  const corrected = keyword.corrections.flatMap((c) => c.to);
  // A phrase no exchange holds was searched as words: mark its words instead.
  const base = matchSpecFor(keyword.parsed, [...keyword.expansions, ...corrected, ...keyword.missedPhrases.flat()]);
  return {
    words: new Set([...base.words].filter((word) => !ignored.has(word))),
    prefixes: keyword.expansions.length > 0 ? base.prefixes : [],
    phrases: keyword.missedPhrases.length > 0 ? [] : base.phrases,
  };
}

const DEFAULT_LIMIT = 30;

export class SearchService {
  readonly keyword: KeywordSearch;
  private readonly semantic = new Map<string, ResultSource>();

  constructor(private readonly db: VaultDatabase) {
    this.keyword = new KeywordSearch(db);
  }

  registerSource(source: ResultSource): () => void {
    this.semantic.set(source.id, source);
    return () => {
      if (this.semantic.get(source.id) === source) this.semantic.delete(source.id);
    };
  }

  hasSemantic(): boolean {
    return this.semantic.size > 0;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResponse> {
    const started = performance.now();
    const mode = options.mode ?? 'keyword';
    const filters = options.filters ?? {};
    const limit = options.limit ?? DEFAULT_LIMIT;
    const useKeyword = mode !== 'semantic';
    const useSemantic = mode !== 'keyword';
    const unavailable = useSemantic && this.semantic.size === 0 ? ['semantic'] : [];
    // Fusion needs depth: a hit ranked 40th by one source can be first overall.
    const depth = mode === 'hybrid' ? Math.max(limit * 2, 50) : limit;

    const sources: ResultSource[] = useSemantic ? [...this.semantic.values()] : [];
    const [keyword, ...semanticLists] = await Promise.all([
      useKeyword ? this.keyword.searchDetailed(query, filters, depth) : Promise.resolve(null),
      ...sources.map((source) => source.search(query, filters, depth)),
    ]);
    const lists: RankedHit[][] = [];
    const ids: string[] = [];
    if (keyword) {
      lists.push(keyword.hits);
      ids.push(this.keyword.id);
    }
    sources.forEach((source, i) => {
      lists.push(semanticLists[i] ?? []);
      ids.push(source.id);
    });

    const fused: FusedHit[] = lists.length === 1 ? (lists[0] ?? []).map((hit, i) => ({ ...hit, ranks: [i + 1] })) : reciprocalRankFusion(lists);
    const spec = keyword ? keywordMatchSpec(keyword) : matchSpecFor(parseQuery(query));
    const results = await withStorageErrors(() => this.hydrate(fused, ids, filters, limit, spec));
    return {
      query,
      mode,
      results,
      keywordTotal: keyword?.total ?? 0,
      matchedAll: keyword?.matchedAll ?? true,
      corrections: keyword?.corrections ?? [],
      missedPhrases: keyword?.missedPhrases ?? [],
      unavailable,
      tookMs: performance.now() - started,
    };
  }

  private async hydrate(fused: readonly FusedHit[], ids: readonly string[], filters: SearchFilters, limit: number, spec: MatchSpec): Promise<SearchResult[]> {
    const missing = fused.filter((hit) => !hit.node).map((hit) => hit.nodeId);
    const loaded = missing.length > 0 ? await this.db.nodes.bulkGet(missing) : [];
    const nodes = new Map<string, NodeRow>();
    for (const hit of fused) if (hit.node) nodes.set(hit.nodeId, hit.node);
    for (const node of loaded) if (node) nodes.set(node.id, node);

    const kept: { hit: FusedHit; node: NodeRow }[] = [];
    for (const hit of fused) {
      const node = nodes.get(hit.nodeId);
      if (!node || !matchesFilters(node, filters)) continue;
      kept.push({ hit, node });
      if (kept.length >= limit) break;
    }
    const titles = new Map<string, string>();
    for (const { hit, node } of kept) if (hit.conversationTitle !== undefined) titles.set(node.conversationId, hit.conversationTitle);
    const conversationIds = [...new Set(kept.map(({ node }) => node.conversationId).filter((id) => !titles.has(id)))];
    if (conversationIds.length > 0) {
      const conversations = await this.db.conversations.bulkGet(conversationIds);
      for (const c of conversations) if (c) titles.set(c.id, c.title);
    }

    return kept.map(({ hit, node }) => {
      const ranks: Record<string, number> = {};
      hit.ranks.forEach((rank, i) => {
        const id = ids[i];
        if (rank !== undefined && id !== undefined) ranks[id] = rank;
      });
      const texts =
        filters.role === 'human'
          ? { human: node.human.text }
          : filters.role === 'assistant'
            ? { assistant: node.assistant?.text ?? '' }
            : { human: node.human.text, assistant: node.assistant?.text ?? '', ...(filters.includeHidden ? { hidden: hiddenText(node) } : {}) };
      return {
        nodeId: node.id,
        conversationId: node.conversationId,
        conversationTitle: titles.get(node.conversationId) ?? '',
        provider: node.provider,
        createdAt: node.createdAt,
        ordinal: node.ordinal,
        active: node.active,
        score: hit.score,
        ranks,
        snippet: makeSnippet(texts, spec),
      };
    });
  }
}
