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
 *   keywordAnchoredFusion(keyword, semantic, share): FusedHit[]     // hybrid mode
 *   semanticWeight(coverage: number): number
 *   matchesFilters(node: NodeRow, filters: SearchFilters): boolean
 */
import { toAppError, type AppError, type AppErrorData } from '../../../shared/errors';
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

/**
 * Share of the fused score given to meaning (the semantic sources together) when the keyword search found none of
 * the query's words; it falls to 0 as the first keyword hit holds all of them. Chosen, not fitted: no real
 * embedding model can be loaded here to fit it against.
 */
export const MAX_SEMANTIC_WEIGHT = 0.5;

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
  /**
   * Why results by meaning are missing from this answer (the query could not be embedded: offline, service down or
   * too slow); null when every source answered. In semantic mode the results are then keyword results.
   */
  semanticError: AppErrorData | null;
  /** The model whose vectors answered instead (e.g. 'local:<model>' while the remote service is unreachable), else null. */
  semanticSubstitute: string | null;
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

/** The semantic share of hybrid scores for a keyword search whose first hit holds `coverage` of the query's words. */
export function semanticWeight(coverage: number): number {
  // Squared: meaning gets room only where the words clearly failed, so a weak semantic signal rarely displaces
  // keyword hits at all.
  return MAX_SEMANTIC_WEIGHT * (1 - Math.min(1, Math.max(0, coverage))) ** 2;
}

/**
 * Hybrid fusion anchored on keyword ranking: the keyword hits keep their order (their score scaled to 0..1 by the
 * best, times 1 - share), and hits only meaning found are merged in by their own scaled score times `share`
 * (split between the semantic sources). A weak or absent semantic signal therefore cannot reorder what the words
 * found; it can only add exchanges the words missed, and only above keyword hits scoring below share / (1 - share)
 * of the best, never above the first while share <= 0.5.
 */
export function keywordAnchoredFusion(keyword: readonly RankedHit[], semantic: readonly (readonly RankedHit[])[], share: number): FusedHit[] {
  const lists = [keyword, ...semantic];
  const ranks = new Map<string, (number | undefined)[]>();
  lists.forEach((list, l) =>
    list.forEach((hit, i) => {
      let entry = ranks.get(hit.nodeId);
      if (!entry) ranks.set(hit.nodeId, (entry = lists.map(() => undefined)));
      entry[l] ??= i + 1;
    }),
  );
  const topKeyword = keyword[0]?.score ?? 0;
  const anchored: FusedHit[] = keyword.map((hit) => ({
    ...hit,
    score: (1 - share) * (topKeyword > 0 ? hit.score / topKeyword : 1),
    ranks: ranks.get(hit.nodeId) ?? [],
  }));
  const inKeyword = new Set(keyword.map((hit) => hit.nodeId));
  const added = new Map<string, FusedHit>();
  semantic.forEach((list) => {
    const top = list[0]?.score ?? 0;
    for (const hit of list) {
      if (inKeyword.has(hit.nodeId)) continue;
      let entry = added.get(hit.nodeId);
      if (!entry) added.set(hit.nodeId, (entry = { nodeId: hit.nodeId, score: 0, ranks: ranks.get(hit.nodeId) ?? [] }));
      entry.score += (share / semantic.length) * (top > 0 ? Math.max(0, hit.score) / top : 1);
      if (!entry.node && hit.node) entry.node = hit.node;
    }
  });
  const extra = [...added.values()].sort((x, y) => y.score - x.score || x.nodeId.localeCompare(y.nodeId));
  // Merge the two ordered lists; on a tie the keyword hit goes first.
  const out: FusedHit[] = [];
  let k = 0;
  let e = 0;
  while (k < anchored.length || e < extra.length) {
    const a = anchored[k];
    const b = extra[e];
    if (a && (!b || a.score >= b.score)) {
      out.push(a);
      k++;
    } else if (b) {
      out.push(b);
      e++;
    }
  }
  return out;
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
    this.keyword = new KeywordSearch(db, { warmIndex: true });
    // The vault has just opened: rehearse keyword search before anyone asks (it yields to queries).
    this.keyword.prepare();
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
    const failures: AppError[] = [];
    const substitutes: string[] = [];
    // A source that cannot answer (its query could not be embedded) leaves the others to answer alone.
    const ask = async (source: ResultSource): Promise<RankedHit[]> => {
      try {
        if (!source.answer) return await source.search(query, filters, depth);
        const { hits, instead } = await source.answer(query, filters, depth);
        if (instead) {
          failures.push(instead.reason);
          substitutes.push(instead.modelId);
        }
        return hits;
      } catch (error) {
        failures.push(toAppError(error, 'EMBEDDER_UNAVAILABLE'));
        return [];
      }
    };
    let [keyword, ...semanticLists] = await Promise.all([useKeyword ? this.keyword.searchDetailed(query, filters, depth) : Promise.resolve(null), ...sources.map(ask)]);
    // Semantic mode with no semantic answer at all falls back to words rather than showing nothing.
    if (!keyword && sources.length > 0 && failures.length > 0 && semanticLists.every((list) => list.length === 0)) {
      keyword = await this.keyword.searchDetailed(query, filters, limit);
      semanticLists = [];
      sources.length = 0;
      substitutes.length = 0;
    }
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

    let fused: FusedHit[];
    if (lists.length === 1) fused = (lists[0] ?? []).map((hit, i) => ({ ...hit, ranks: [i + 1] }));
    else if (keyword) {
      // Hybrid: meaning adds more where the words found less of the query (see semanticWeight).
      fused = keywordAnchoredFusion(keyword.hits, lists.slice(1), semanticWeight(keyword.coverage));
    } else fused = reciprocalRankFusion(lists);
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
      semanticError: failures[0]?.toData() ?? null,
      semanticSubstitute: substitutes[0] ?? null,
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
