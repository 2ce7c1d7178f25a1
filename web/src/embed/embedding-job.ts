/**
 * Fills the vectors table for one embedder: every node that lacks a vector for the embedder's model (id +
 * dimension) is embedded once and stored in packed blocks, one IndexedDB transaction per block. Node ids are content
 * hashes, so a re-import of the same exchanges finds their vectors already there. Stopping (cancel, closed tab,
 * crash) loses at most the blocks in flight; the next run computes what is missing again and embeds only that.
 *
 *   missingNodeIds(db, modelId, dim): Promise<{ missing: string[]; covered: number }>
 *   runEmbeddingJob(options: EmbeddingJobOptions): Promise<EmbeddingJobResult>
 */
import type { Embedder } from '../../../shared/embed/embedder';
import { runPool } from '../../../shared/embed/pool';
import { nodeEmbeddingText } from '../../../shared/embed/text';
import { packVectors } from '../../../shared/embed/vector-math';
import { AppError } from '../../../shared/errors';
import { putVectorBlock, vectorBlocks, withStorageErrors, type VaultDatabase, type VectorBlockRow } from '../db/database';
import type { VectorMatrix } from '../vectors/vector-matrix';
import { queueVectorsForSync } from '../sync/vector-sync';

export interface EmbeddingJobProgress {
  /** Nodes that need a vector in this run. */
  readonly total: number;
  /** Of those, stored so far. */
  readonly embedded: number;
  /** Nodes that already had a vector when the run started. */
  readonly alreadyDone: number;
}

export interface EmbeddingJobOptions {
  readonly db: VaultDatabase;
  readonly embedder: Embedder;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EmbeddingJobProgress) => void;
  /** Called after each block is stored, so an in-memory matrix can grow while the job runs. */
  readonly onBlock?: (block: VectorBlockRow) => void;
  /** Nodes per embed call and per stored block. */
  readonly chunkSize?: number;
  /** Blocks embedding at once (the remote embedder bounds the requests underneath). */
  readonly parallelChunks?: number;
  readonly now?: () => number;
  /**
   * The live matrix of this model, when the caller keeps one: what it holds (after reading blocks other tabs
   * stored since) counts as done, so the run does not read every stored vector again. Stored blocks are added to it.
   */
  readonly matrix?: VectorMatrix;
}

export interface EmbeddingJobResult extends EmbeddingJobProgress {
  readonly modelId: string;
  readonly dim: number;
}

/** Node ids (all nodes, all branches) without a vector for this model; reads only keys and block id lists. */
export async function missingNodeIds(db: VaultDatabase, modelId: string, dim: number): Promise<{ missing: string[]; covered: number }> {
  const [ids, blocks] = await Promise.all([withStorageErrors(() => db.nodes.allIds()), vectorBlocks(db, modelId, dim)]);
  const done = new Set<string>();
  for (const block of blocks) for (const id of block.nodeIds) done.add(id);
  const missing = ids.filter((id) => !done.has(id));
  return { missing, covered: ids.length - missing.length };
}

async function missingFromMatrix(db: VaultDatabase, matrix: VectorMatrix): Promise<{ missing: string[]; covered: number }> {
  await matrix.refresh(db);
  const ids = await withStorageErrors(() => db.nodes.allIds());
  const missing = ids.filter((id) => !matrix.has(id));
  return { missing, covered: ids.length - missing.length };
}

/** The service picks the dimension when the settings do not: one tiny request tells us before we look for gaps. */
async function dimensionOf(embedder: Embedder, signal: AbortSignal | undefined): Promise<number> {
  if (embedder.dimensions !== null) return embedder.dimensions;
  const [probe] = await embedder.embed(['dimension probe'], signal ? { signal } : {});
  if (!probe) throw new AppError('EMBEDDER_BAD_RESPONSE', { detail: 'no vector for the dimension probe' });
  return probe.length;
}

export async function runEmbeddingJob(options: EmbeddingJobOptions): Promise<EmbeddingJobResult> {
  const { db, embedder, signal, onProgress, onBlock } = options;
  const chunkSize = options.chunkSize ?? 256;
  const now = options.now ?? Date.now;
  const dim = await dimensionOf(embedder, signal);
  const { modelId } = embedder;
  const matrix = options.matrix?.modelId === modelId && options.matrix.dim === dim ? options.matrix : undefined;
  const { missing, covered } = matrix ? await missingFromMatrix(db, matrix) : await missingNodeIds(db, modelId, dim);
  const chunks: string[][] = [];
  for (let i = 0; i < missing.length; i += chunkSize) chunks.push(missing.slice(i, i + chunkSize));
  let embedded = 0;
  const report = (): void => onProgress?.({ total: missing.length, embedded, alreadyDone: covered });
  report();

  await runPool(chunks, options.parallelChunks ?? 4, async (ids) => {
    if (signal?.aborted) throw new AppError('EMBEDDER_CANCELLED');
    const nodes = (await withStorageErrors(() => db.nodes.bulkGet(ids))).filter((n) => n !== undefined);
    if (nodes.length === 0) return;
    const texts = nodes.map((n) => nodeEmbeddingText(n, embedder.maxInputChars));
    const vectors = await embedder.embed(texts, signal ? { signal } : {});
    if (signal?.aborted) throw new AppError('EMBEDDER_CANCELLED');
    const wrongSize = vectors.find((v) => v.length !== dim);
    if (wrongSize) throw new AppError('EMBEDDER_BAD_RESPONSE', { detail: `the model changed its vector size from ${dim} to ${wrongSize.length}` });
    const packed = packVectors(vectors, dim);
    const block: VectorBlockRow = { modelId, dim, dtype: 'float32', nodeIds: nodes.map((n) => n.id), data: packed.buffer, scales: null, createdAt: now() };
    // One block, one transaction: its ids and its vectors are stored together or not at all.
    block.id = await putVectorBlock(db, block);
    // A remote model's vectors also go to the user's other devices (C38); a failure here leaves them local only.
    await queueVectorsForSync(db, block).catch((error: unknown) => console.warn('vectors not queued for sync', error instanceof Error ? error.name : ''));
    embedded += nodes.length;
    matrix?.addBlock(block);
    onBlock?.(block);
    report();
  });
  return { total: missing.length, embedded, alreadyDone: covered, modelId, dim };
}
