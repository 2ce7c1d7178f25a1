/** Vector arithmetic over packed Float32Arrays (row-major, `dim` floats per row). */

export function normalizeInPlace(v: Float32Array, offset = 0, dim = v.length - offset): Float32Array {
  let sum = 0;
  for (let i = offset; i < offset + dim; i += 1) sum += (v[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = offset; i < offset + dim; i += 1) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  // Four independent sums let the CPU overlap the multiply-adds (faster than one running sum when measured here).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < dim; i += 1) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const d = dot(a, 0, b, 0, a.length);
  const na = Math.sqrt(dot(a, 0, a, 0, a.length));
  const nb = Math.sqrt(dot(b, 0, b, 0, b.length));
  return na > 0 && nb > 0 ? d / (na * nb) : 0;
}

/** Packs equal-length vectors into one block (what the vectors table stores). */
export function packVectors(vectors: readonly Float32Array[], dim: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new RangeError(`vector ${i} has ${v.length} dimensions, expected ${dim}`);
    out.set(v, i * dim);
  });
  return out;
}

export interface Scored {
  readonly index: number;
  readonly score: number;
}

/**
 * Keeps the k best entries seen, in one total order: higher score first, and among equal scores the lower index
 * first. The kept set is therefore the same whatever order entries are pushed in (the exact scan pushes rows in
 * index order, the int8 path's rerank pushes its candidates in another), so ties resolve the same on every path.
 * A binary heap with the worst kept entry at the root: O(log k) per accepted candidate.
 */
export class TopK {
  private readonly indexes: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    this.indexes = new Int32Array(Math.max(1, k));
    this.scores = new Float64Array(Math.max(1, k));
  }

  /** A candidate scoring below this cannot enter (−Infinity until full); one scoring equal may, by its index. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  /** True when entry a (score, index) ranks below entry b. */
  private static worse(aScore: number, aIndex: number, bScore: number, bIndex: number): boolean {
    return aScore < bScore || (aScore === bScore && aIndex > bIndex);
  }

  push(index: number, score: number): void {
    if (this.k <= 0) return;
    if (this.size < this.k) {
      let i = this.size;
      this.size += 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!TopK.worse(score, index, this.scores[parent]!, this.indexes[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.indexes[i] = this.indexes[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.indexes[i] = index;
      return;
    }
    if (!TopK.worse(this.scores[0]!, this.indexes[0]!, score, index)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && TopK.worse(this.scores[right]!, this.indexes[right]!, this.scores[left]!, this.indexes[left]!) ? right : left;
      if (!TopK.worse(this.scores[child]!, this.indexes[child]!, score, index)) break;
      this.scores[i] = this.scores[child]!;
      this.indexes[i] = this.indexes[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.indexes[i] = index;
  }

  /** Best first (higher score, then lower index). */
  results(): Scored[] {
    const out: Scored[] = [];
    for (let i = 0; i < this.size; i += 1) out.push({ index: this.indexes[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }
}

/** Exact cosine top-k over a packed matrix of normalised rows; `skip` excludes rows (e.g. the query node itself). */
export function scanTopK(matrix: Float32Array, rows: number, dim: number, query: Float32Array, k: number, skip?: (row: number) => boolean): Scored[] {
  const top = new TopK(k);
  const tail = dim - (dim % 4);
  // The dot product is inlined: this loop is the whole cost of a semantic query (bench/vector.bench.ts).
  for (let row = 0, at = 0; row < rows; row += 1, at += dim) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < tail; i += 4) {
      s0 += matrix[at + i]! * query[i]!;
      s1 += matrix[at + i + 1]! * query[i + 1]!;
      s2 += matrix[at + i + 2]! * query[i + 2]!;
      s3 += matrix[at + i + 3]! * query[i + 3]!;
    }
    for (; i < dim; i += 1) s0 += matrix[at + i]! * query[i]!;
    const score = s0 + s1 + s2 + s3;
    // Rows come in index order, so an equal score never displaces a kept row: `>` is the whole admission test.
    if (score > top.threshold && !(skip?.(row) ?? false)) top.push(row, score);
  }
  return top.results();
}
