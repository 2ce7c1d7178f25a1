/**
 * All vectors of one model (id + dimension) in memory as one contiguous, normalised Float32Array, with the node id
 * of every row. A query first scans an int8 copy of the rows with WebAssembly SIMD (int8-scan.ts, a quarter of the
 * memory traffic), keeps the best 2k + 200 candidates, and reranks those exactly on the float rows, so the
 * scores returned are exact cosines and the top k is the exact one unless quantisation pushed a true neighbour
 * below k + 200 others (tests/unit/vector-int8.test.ts measures how often: never in its data sets). Small
 * matrices, and browsers without WebAssembly SIMD, use the exact scan (bench/vector.bench.ts measures both).
 *
 *   VectorMatrix.load(db, modelId, dim): Promise<VectorMatrix>
 *   matrix.refresh(db): Promise<number>            // blocks stored since the last read (other tabs)
 *   matrix.add(nodeIds, block): number            // rows appended (ids already present are skipped)
 *   matrix.nearest(query, k, skip?): Neighbour[]   // best first; equal scores by insertion order; [] if query.length ≠ dim
 *   matrix.byteLength: number                       // bytes held for the rows (float + int8, with room to grow)
 *   matrix.moreLikeThis(nodeId, k): Neighbour[]    // the node itself excluded
 */
import { normalizeInPlace, scanTopK } from '../../../shared/embed/vector-math';
import { AppError } from '../../../shared/errors';
import { vectorBlocks, withStorageErrors, type VaultDatabase, type VectorBlockRow } from '../db/database';
import { Int8Rows, int8ScanModule, int8TopK } from './int8-scan';

/**
 * Candidates reranked exactly: twice the results asked for plus MIN_MARGIN. Measured at 100k x 384 (uniform and
 * clustered rows, queries near stored rows), the true top k always lay within the int8 pass's best k + 16 (k = 20,
 * 200, 400); tests/unit/vector-int8.test.ts and bench/vector.bench.ts check the top k against the exact scan.
 */
const RERANK_FACTOR = 2;
const MIN_MARGIN = 200;
/** Below this many rows the exact scan is as fast as the two passes. */
const INT8_MIN_ROWS = 5_000;
/** Row capacity grows by this factor when rows are appended past it (a doubling would hold twice the vault). */
const GROWTH = 1.25;

export interface Neighbour {
  readonly nodeId: string;
  readonly score: number;
}

export class VectorMatrix {
  private data: Float32Array;
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /** The int8 copy of every row (null without WebAssembly SIMD, or when constructed with `int8: false`). */
  private readonly int8: Int8Rows | null;

  constructor(
    readonly modelId: string,
    readonly dim: number,
    initialRows = 1024,
    options: { int8?: boolean } = {},
  ) {
    this.data = new Float32Array(Math.max(1, initialRows) * dim);
    this.int8 = options.int8 !== false && int8ScanModule() !== null ? new Int8Rows(dim) : null;
    this.int8?.reserve(Math.max(1, initialRows));
  }

  /** Bytes this matrix holds for its rows: the float rows and the int8 copy, with their room to grow (not the ids). */
  get byteLength(): number {
    return this.data.byteLength + (this.int8?.byteLength ?? 0);
  }

  /** Whether queries take the int8 first pass (WebAssembly SIMD present and not turned off). */
  get quantised(): boolean {
    return this.int8 !== null;
  }

  /** Highest vectors-table row id read from the database so far (blocks are numbered in commit order). */
  private loadedThrough = 0;

  static async load(db: VaultDatabase, modelId: string, dim: number): Promise<VectorMatrix> {
    const blocks = await vectorBlocks(db, modelId, dim);
    const rows = blocks.reduce((n, b) => n + b.nodeIds.length, 0);
    const matrix = new VectorMatrix(modelId, dim, rows);
    for (const block of blocks) {
      matrix.addBlock(block);
      matrix.loadedThrough = Math.max(matrix.loadedThrough, block.id ?? 0);
    }
    return matrix;
  }

  /** Reads only the blocks stored since the last read (e.g. by another tab); returns the rows added. */
  async refresh(db: VaultDatabase): Promise<number> {
    const blocks = await withStorageErrors(() => db.vectors.where(':id').above(this.loadedThrough).toArray());
    let added = 0;
    for (const block of blocks) {
      added += this.addBlock(block);
      this.loadedThrough = Math.max(this.loadedThrough, block.id ?? 0);
    }
    return added;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Row-major view of the live rows (no copy). */
  get rows(): Float32Array {
    return this.data.subarray(0, this.ids.length * this.dim);
  }

  nodeIdAt(row: number): string {
    return this.ids[row] ?? '';
  }

  has(nodeId: string): boolean {
    return this.rowOf.has(nodeId);
  }

  vectorOf(nodeId: string): Float32Array | null {
    const row = this.rowOf.get(nodeId);
    return row === undefined ? null : this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  addBlock(block: VectorBlockRow): number {
    if (block.modelId !== this.modelId || block.dim !== this.dim || block.dtype !== 'float32') return 0;
    return this.add(block.nodeIds, new Float32Array(block.data));
  }

  /** Appends the vectors of `nodeIds` (packed in `block`), normalising them; returns how many rows were new. */
  add(nodeIds: readonly string[], block: Float32Array): number {
    const { dim } = this;
    if (block.length !== nodeIds.length * dim) {
      throw new AppError('INTERNAL', { detail: `a block of ${block.length} values for ${nodeIds.length} vectors of ${dim} dimensions` });
    }
    let added = 0;
    for (let i = 0; i < nodeIds.length; i += 1) {
      const id = nodeIds[i]!;
      if (this.rowOf.has(id)) continue;
      const row = this.ids.length;
      if ((row + 1) * dim > this.data.length) {
        const grown = new Float32Array(Math.max(Math.floor(this.data.length / dim * GROWTH) * dim, (row + 1) * dim));
        grown.set(this.data);
        this.data = grown;
      }
      this.data.set(block.subarray(i * dim, (i + 1) * dim), row * dim);
      normalizeInPlace(this.data, row * dim, dim);
      this.int8?.set(row, this.data, row * dim);
      this.ids.push(id);
      this.rowOf.set(id, row);
      added += 1;
    }
    return added;
  }

  /** The k rows most similar to `query` (normalised or not: only the order matters), best first. */
  nearest(query: Float32Array, k: number, skip?: (nodeId: string) => boolean): Neighbour[] {
    if (query.length !== this.dim) return [];
    const q = normalizeInPlace(Float32Array.from(query));
    const rows = this.ids.length;
    const skipRow = skip ? (row: number): boolean => skip(this.ids[row] ?? '') : undefined;
    const candidates = k * RERANK_FACTOR + MIN_MARGIN;
    const hits = this.int8 && rows >= INT8_MIN_ROWS && rows > candidates ? int8TopK(this.int8, this.data, rows, q, k, candidates, skipRow) : scanTopK(this.data, rows, this.dim, q, k, skipRow);
    return hits.map((h) => ({ nodeId: this.ids[h.index] ?? '', score: h.score }));
  }

  moreLikeThis(nodeId: string, k: number): Neighbour[] {
    const v = this.vectorOf(nodeId);
    return v ? this.nearest(v, k, (id) => id === nodeId) : [];
  }
}
