/**
 * Search by meaning on the command-line device (SPEC C45-C47). Vectors of the remote embedding model arrive with
 * sync as int8 records and sit in the SQLite `vectors` table (sqlite-store.ts); this module reads them into the
 * app's own VectorMatrix, embeds the query with the app's RemoteEmbedder (an OpenAI-compatible service set by
 * COGZY_EMBED_* or `cogzy config`), and fuses with the app's keyword-anchored fusion for hybrid mode. Without an
 * embedder, or with one whose model made none of the stored vectors, the answer is the keyword answer with one
 * sentence saying why. `embedMissingVectors` makes vectors for nodes that have none, as the app's embedding job
 * does, and queues them as vector records for the user's other devices (C38).
 *
 *   embedderFor(settings): RemoteEmbedder
 *   searchAnyMode(reader, server, query, options, semantic): Promise<ModeAnswer>
 *   embedMissingVectors(device, embedder, options): Promise<EmbedReport>
 */
import { runPool } from '../embed/pool';
import { nodeEmbeddingText } from '../embed/text';
import { packVectors } from '../embed/vector-math';
import { AppError, toAppError, type AppErrorData } from '../errors';
import type { MemoryNode } from '../model';
import { queueVectorRecords } from '../sync/vault-ops';
import type { NodeRow, VectorBlockRow } from '../../web/src/db/database';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { parseQuery } from '../../web/src/search/query';
import { keywordAnchoredFusion, matchesFilters, semanticWeight, type FusedHit } from '../../web/src/search/search';
import { matchSpecFor } from '../../web/src/search/snippets';
import type { SearchMode } from '../../web/src/search/types';
import { vectorRecordsOf } from '../../web/src/sync/vector-sync';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import type { Device } from './device';
import type { EmbedSettings } from './home';
import type { VaultReader } from './sqlite-store';
import { keywordSearchOf, searchFilters, searchHit, searchVault, type SearchAnswer, type SearchHit, type SearchOptions } from './vault-queries';

/** A query's vector is waited for this long before the answer goes on by keywords (the service's retries included). */
export const QUERY_DEADLINE_MS = 15_000;
/** Vector hits are filtered after the scan (providers, dates, branches), so ask for more than will be shown. */
const OVERSAMPLE = 4;
/** Nodes per embed call and per transaction of vector records. */
const EMBED_CHUNK = 256;
const EMBED_PARALLEL_CHUNKS = 4;

export function embedderFor(settings: EmbedSettings): RemoteEmbedder {
  return new RemoteEmbedder({ baseUrl: settings.url, model: settings.model, apiKey: settings.apiKey, ...(settings.dimensions !== null ? { dimensions: settings.dimensions } : {}) });
}

/** An error about the embedding service with its API key taken out of every text a person or a log could see. */
export function withoutKey(error: AppError, apiKey: string): AppError {
  if (apiKey === '' || (!error.detail?.includes(apiKey) && !error.message.includes(apiKey))) return error;
  return new AppError(error.code, { detail: (error.detail ?? '').split(apiKey).join('[API key]') });
}

/** The embedder the device searches with, and its API key (only to keep it out of messages). */
export interface SemanticContext {
  embedder: RemoteEmbedder | null;
  apiKey: string;
}

export function semanticContext(settings: EmbedSettings | null): SemanticContext {
  return settings === null ? { embedder: null, apiKey: '' } : { embedder: embedderFor(settings), apiKey: settings.apiKey };
}

export interface ModeAnswer extends SearchAnswer {
  /** What answered: the mode asked for, or 'keyword' when meaning could not be used (`note` says why). */
  mode: SearchMode;
  requestedMode: SearchMode;
  /** One sentence when the answer is not by the mode asked for; null otherwise. */
  note: string | null;
  /** The embedding service's failure when the query could not be embedded, else null. */
  semanticError: AppErrorData | null;
  /** The vectors that answered: their model, size, how many there are, and how many exchanges the device holds. */
  vectors: { model: string; dim: number; count: number; exchanges: number } | null;
}

/** The vectors of one model and size in memory, per reader, topped up with rows stored since the last search. */
const matrices = new WeakMap<VaultReader, Map<string, { matrix: VectorMatrix; through: number }>>();

export function vectorMatrix(reader: VaultReader, model: string, dim: number, expectedRows = 1024): VectorMatrix {
  let byModel = matrices.get(reader);
  if (byModel === undefined) matrices.set(reader, (byModel = new Map<string, { matrix: VectorMatrix; through: number }>()));
  const name = `${model}\u0000${dim}`;
  let entry = byModel.get(name);
  if (entry === undefined) byModel.set(name, (entry = { matrix: new VectorMatrix(model, dim, expectedRows), through: 0 }));
  const PACK = 1024;
  let ids: string[] = [];
  let block = new Float32Array(PACK * dim);
  const flush = (): void => {
    if (ids.length === 0) return;
    entry.matrix.add(ids, block.subarray(0, ids.length * dim));
    ids = [];
    block = new Float32Array(PACK * dim);
  };
  for (const row of reader.vectorsAfter(model, dim, entry.through)) {
    const bytes = new Int8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength);
    const offset = ids.length * dim;
    for (let d = 0; d < dim; d++) block[offset + d] = (bytes[d] ?? 0) * row.scale;
    ids.push(row.nodeId);
    entry.through = row.seq;
    if (ids.length === PACK) flush();
  }
  flush();
  return entry.matrix;
}

const NO_EMBEDDER =
  'Searching by meaning needs an embedding service on this computer (set COGZY_EMBED_URL and COGZY_EMBED_MODEL, or run cogzy config); these are keyword results.';

function otherModels(models: { model: string; dim: number; count: number }[]): string {
  return models
    .slice(0, 3)
    .map((m) => `${m.model.replace(/^remote:/, '')} (${m.dim} dimensions)`)
    .join(', ');
}

/** Embeds the query within QUERY_DEADLINE_MS; rejects with an EMBEDDER_* AppError. */
async function embedQuery(embedder: RemoteEmbedder, text: string, deadlineMs: number): Promise<Float32Array> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  try {
    const [vector] = await embedder.embed([text], { signal: controller.signal });
    if (vector === undefined) throw new AppError('EMBEDDER_BAD_RESPONSE', { detail: 'no vector for the query' });
    return vector;
  } catch (error) {
    throw controller.signal.aborted ? new AppError('EMBEDDER_UNAVAILABLE', { detail: `no answer within ${deadlineMs} ms`, cause: error }) : toAppError(error, 'EMBEDDER_UNAVAILABLE');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One search in any mode. Keyword mode is `searchVault`. Semantic mode ranks by the cosine of the query's vector;
 * hybrid anchors on the keyword ranking and adds what only meaning found (the app's keywordAnchoredFusion).
 */
export async function searchAnyMode(
  reader: VaultReader,
  server: string,
  query: string,
  options: SearchOptions & { mode: SearchMode; queryDeadlineMs?: number },
  semantic: SemanticContext,
): Promise<ModeAnswer> {
  const { mode } = options;
  const byKeywords = async (note: string | null, error: AppErrorData | null = null): Promise<ModeAnswer> => ({
    ...(await searchVault(reader, server, query, options)),
    mode: 'keyword',
    requestedMode: mode,
    note,
    semanticError: error,
    vectors: null,
  });
  if (mode === 'keyword') return byKeywords(null);
  const { embedder } = semantic;
  if (embedder === null) return byKeywords(NO_EMBEDDER);
  const models = reader.vectorModels();
  const mine = models.filter((m) => m.model === embedder.modelId);
  const name = embedder.modelId.replace(/^remote:/, '');
  if (mine.length === 0) {
    return byKeywords(
      models.length === 0
        ? `No exchange on this computer has a vector yet (run cogzy embed to make them with ${name}); these are keyword results.`
        : `The vectors on this computer were made with ${otherModels(models)}, which cannot be compared with ${name} (set COGZY_EMBED_MODEL to that model, or run cogzy embed); these are keyword results.`,
    );
  }
  const text = query.replace(/"/g, ' ').trim();
  let vector: Float32Array;
  try {
    vector = await embedQuery(embedder, text, options.queryDeadlineMs ?? QUERY_DEADLINE_MS);
  } catch (error) {
    const failure = withoutKey(toAppError(error, 'EMBEDDER_UNAVAILABLE'), semantic.apiKey);
    return byKeywords(`Searching by meaning failed, so these are keyword results: ${failure.message.replace(/ in Settings/g, ' (COGZY_EMBED_* or cogzy config)')}`, failure.toData());
  }
  const stored = mine.find((m) => m.dim === vector.length);
  if (stored === undefined) {
    return byKeywords(
      `The vectors of ${name} on this computer have ${mine.map((m) => m.dim).join(' or ')} dimensions and the service now answers with ${vector.length} (set COGZY_EMBED_DIMENSIONS to match); these are keyword results.`,
    );
  }
  const filters = searchFilters(options);
  const depth = mode === 'hybrid' ? Math.max(options.limit * 2, 50) : options.limit;
  const matrix = vectorMatrix(reader, stored.model, stored.dim, stored.count);
  const byMeaning = matrix.nearest(vector, depth * OVERSAMPLE).map((n) => ({ nodeId: n.nodeId, score: n.score }));
  const keyword = mode === 'hybrid' ? await keywordSearchOf(reader).searchDetailed(query, filters, depth) : null;
  const fused: FusedHit[] = keyword ? keywordAnchoredFusion(keyword.hits, [byMeaning], semanticWeight(keyword.coverage)) : byMeaning.map((hit, i) => ({ ...hit, ranks: [i + 1] }));
  const spec = matchSpecFor(parseQuery(query), keyword?.expansions ?? []);
  const hits: SearchHit[] = [];
  const rows = await reader.nodes.bulkGet(fused.filter((h) => h.node === undefined).map((h) => h.nodeId));
  const loaded = new Map(rows.flatMap((n): [string, NodeRow][] => (n === undefined ? [] : [[n.id, n]])));
  for (const hit of fused) {
    // A vector can outlive its node for a moment (a delete pulled after the vectors were read): such hits are skipped.
    const node = hit.node ?? loaded.get(hit.nodeId);
    if (node === undefined || !matchesFilters(node, filters)) continue;
    hits.push(searchHit(reader, server, node, hit.score, spec, hit.conversationTitle));
    if (hits.length >= options.limit) break;
  }
  return {
    query,
    total: keyword?.total ?? hits.length,
    corrections: keyword?.corrections ?? [],
    hits,
    mode,
    requestedMode: mode,
    note: null,
    semanticError: null,
    vectors: { model: stored.model, dim: stored.dim, count: stored.count, exchanges: reader.count('node') },
  };
}

export interface EmbedReport {
  model: string;
  dim: number | null;
  /** Nodes that needed a vector in this run. */
  missing: number;
  embedded: number;
}

/**
 * Embeds the nodes without a vector of the embedder's model (only those in `only` when given), EMBED_CHUNK at a
 * time, and stores each chunk's vectors as vector records pending for the next push, in one transaction. A node
 * deleted meanwhile keeps no vector. Stopping loses at most the chunks in flight.
 */
export async function embedMissingVectors(
  device: Device,
  semantic: SemanticContext & { embedder: RemoteEmbedder },
  options: { only?: ReadonlySet<string>; onProgress?: (done: number, total: number) => void } = {},
): Promise<EmbedReport> {
  const { embedder } = semantic;
  const { reader, store } = device.vault;
  const modelId = embedder.modelId;
  const storedDim = embedder.dimensions ?? reader.vectorModels().find((m) => m.model === modelId)?.dim ?? null;
  // No vector of this model yet and no size asked for: every node lacks one, and the service's first answer sets the size.
  let missing = storedDim === null ? reader.nodesWithoutVector(modelId, -1) : reader.nodesWithoutVector(modelId, storedDim);
  if (options.only) missing = missing.filter((id) => options.only?.has(id));
  const chunks: string[][] = [];
  for (let i = 0; i < missing.length; i += EMBED_CHUNK) chunks.push(missing.slice(i, i + EMBED_CHUNK));
  let embedded = 0;
  options.onProgress?.(0, missing.length);
  try {
    await runPool(chunks, EMBED_PARALLEL_CHUNKS, async (ids) => {
      const nodes = ids.map((id) => reader.node(id)).filter((n): n is MemoryNode => n !== undefined);
      if (nodes.length === 0) return;
      const vectors = await embedder.embed(nodes.map((n) => nodeEmbeddingText(n, embedder.maxInputChars)));
      const dim = vectors[0]?.length ?? 0;
      if (dim === 0 || vectors.some((v) => v.length !== dim)) throw new AppError('EMBEDDER_BAD_RESPONSE', { detail: 'vectors of different sizes in one answer' });
      const block: VectorBlockRow = { modelId, dim, dtype: 'float32', nodeIds: nodes.map((n) => n.id), data: packVectors(vectors, dim).buffer, scales: null, createdAt: Date.now() };
      const records = vectorRecordsOf(block, new Map(nodes.map((n) => [n.id, n.conversationId])));
      const written = await queueVectorRecords(store, records);
      embedded += written;
      options.onProgress?.(embedded, missing.length);
    });
  } catch (error) {
    throw withoutKey(toAppError(error, 'EMBEDDER_UNAVAILABLE'), semantic.apiKey);
  }
  return { model: modelId, dim: embedder.dimensions ?? storedDim, missing: missing.length, embedded };
}
