/**
 * Semantic search as a ResultSource for the search fusion slot: the query is embedded with the same model that
 * made the stored vectors and scanned against the in-memory matrix. Only like is compared with like: a source is
 * bound to one model id + dimension, and refuses an embedder of another model.
 *
 *   new VectorResultSource(matrix, embedder, db, onQueryResult?: (e: AppError | null) => void, queryDeadlineMs?: number, substitute?: () => Promise<VectorResultSource | null>)
 *   source.search(query, filters, limit): Promise<RankedHit[]>   // rejects (AppError) when the query cannot be embedded
 *   source.answer(query, filters, limit): Promise<SourceAnswer>  // search, else the substitute's own search (its own vectors)
 *   source.moreLikeThis(nodeId, limit, filters?): Promise<RankedHit[]>
 */
import type { Embedder } from '../../../shared/embed/embedder';
import { AppError, toAppError } from '../../../shared/errors';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import type { RankedHit, ResultSource, SearchFilters, SourceAnswer } from '../search/types';
import type { VectorMatrix } from './vector-matrix';

/** Vector hits are filtered after the scan (providers, dates, branches), so ask for more than will be shown. */
const OVERSAMPLE = 4;

const RECENT_QUERIES = 32;

export class VectorResultSource implements ResultSource {
  readonly id: string;
  private readonly recent = new Map<string, Float32Array>();

  constructor(
    readonly matrix: VectorMatrix,
    private readonly embedder: Embedder,
    private readonly db: VaultDatabase,
    /** Told after each query: the failure when it could not be embedded (offline, service down), else null. */
    private readonly onQueryResult: (error: AppError | null) => void = () => undefined,
    /**
     * Longest wait for a query's vector (a remote service). Past it the search goes on without this source, so an
     * unreachable service costs about this long instead of its full retry budget; undefined waits (on-device).
     */
    private readonly queryDeadlineMs?: number,
    /**
     * Another model's source to ask when this one cannot embed the query (the on-device model while the remote
     * service is unreachable); null when there is none. It compares only against its own model's vectors.
     */
    private readonly substitute?: () => Promise<VectorResultSource | null>,
  ) {
    if (embedder.modelId !== matrix.modelId || (embedder.dimensions !== null && embedder.dimensions !== matrix.dim)) {
      throw new AppError('INTERNAL', { detail: `query model ${embedder.modelId} does not match stored vectors of ${matrix.modelId}/${matrix.dim}` });
    }
    this.id = `vector:${matrix.modelId}`;
  }

  async search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]> {
    const text = query.replace(/"/g, ' ').trim();
    if (text === '' || this.matrix.size === 0) return [];
    let vector = this.recent.get(text);
    if (!vector) {
      const controller = new AbortController();
      const timer = this.queryDeadlineMs === undefined ? undefined : setTimeout(() => controller.abort(), this.queryDeadlineMs);
      try {
        vector = (await this.embedder.embed([text], { signal: controller.signal }))[0];
      } catch (error) {
        // The search service goes on with the other sources (keyword hits) and says why these are missing.
        const failure = controller.signal.aborted
          ? new AppError('EMBEDDER_UNAVAILABLE', { detail: `no answer within ${this.queryDeadlineMs ?? 0} ms`, cause: error })
          : toAppError(error, 'EMBEDDER_UNAVAILABLE');
        this.onQueryResult(failure);
        throw failure;
      } finally {
        clearTimeout(timer);
      }
    }
    this.onQueryResult(null);
    if (!vector) return [];
    // Re-running a query (back button, toggling a filter or the mode) costs no second request.
    this.recent.delete(text);
    this.recent.set(text, vector);
    if (this.recent.size > RECENT_QUERIES) this.recent.delete(this.recent.keys().next().value ?? '');
    return this.rank(vector, limit, filters, null);
  }

  async answer(query: string, filters: SearchFilters, limit: number): Promise<SourceAnswer> {
    try {
      return { hits: await this.search(query, filters, limit), instead: null };
    } catch (error) {
      const reason = toAppError(error, 'EMBEDDER_UNAVAILABLE');
      const other = this.substitute ? await this.substitute().catch(() => null) : null;
      if (!other) throw reason;
      // The substitute failing too (its model files will not load) leaves the keyword fallback and the first reason.
      const hits = await other.search(query, filters, limit).catch(() => null);
      if (!hits) throw reason;
      return { hits, instead: { modelId: other.matrix.modelId, reason } };
    }
  }

  /** Exchanges closest in meaning to `nodeId` (itself excluded); empty until that node has a vector. */
  moreLikeThis(nodeId: string, limit: number, filters: SearchFilters = {}): Promise<RankedHit[]> {
    const vector = this.matrix.vectorOf(nodeId);
    return vector ? this.rank(vector, limit, filters, nodeId) : Promise.resolve([]);
  }

  private async rank(vector: Float32Array, limit: number, filters: SearchFilters, exclude: string | null): Promise<RankedHit[]> {
    // A conversation filter is cheap to apply during the scan and would otherwise drop nearly every hit.
    const inConversation = filters.conversationId
      ? new Set(await withStorageErrors(() => this.db.nodes.idsOfConversation(filters.conversationId ?? '')))
      : null;
    const skip = exclude !== null || inConversation ? (id: string) => id === exclude || (inConversation !== null && !inConversation.has(id)) : undefined;
    return this.matrix.nearest(vector, limit * OVERSAMPLE, skip).map((n) => ({ nodeId: n.nodeId, score: n.score }));
  }
}
