/**
 * An int8 copy of a vector matrix, scanned with WebAssembly SIMD: the first, approximate pass of a semantic query
 * (vector-matrix.ts reranks its best candidates exactly on the float rows).
 *
 * Each row is stored as int8 with one scale per row (value ≈ q × scale, scale = max |value| / 127), padded to a
 * multiple of 32 bytes; the query is quantised to int16 (±8191: 127 × 8191 × 32 lanes per accumulator sum stays
 * far inside int32 for any dimension up to 2,048). The scan computes the exact integer dot product of every row
 * with the quantised query (i32x4.dot_i16x8_s over sign-extended int8), so the only error is the quantisation.
 * Where WebAssembly SIMD is missing, the same integers are computed in plain JavaScript (slower, same result).
 *
 *   class Int8Rows
 *     constructor(dim: number)
 *     set(row: number, values: Float32Array, offset: number)   // quantises one row (rows are appended in order)
 *     reserve(rows: number)                                      // room for a known number of rows, allocated once
 *     readonly byteLength: number                                // bytes held (rows, scales, scratch, room to grow)
 *     scan(query: Float32Array, rows: number): { dots: Int32Array; scales: Float32Array }  // dots[r] × scales[r] ≈ row · query × constant
 *     readonly simd: boolean
 *   int8ScanModule(): WebAssembly.Module | null   // the compiled scanner, or null when SIMD is unavailable
 *   int8TopK(int8, data, rows, query, k, candidates, skip?): Scored[]   // int8 pass, then exact rerank, best first
 */
import { dot, TopK, type Scored } from '../../../shared/embed/vector-math';

const PAGE = 65_536;
const QUERY_MAX = 8191;
/** Capacity grows by this factor when rows are appended past it. */
const GROWTH = 1.25;

// ---- the scanner, assembled by hand (no toolchain needed; WebAssembly.validate checks it) ---------------------
// (func $scan (param $m i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
//   for r in 0..rows: out[r] = Σ_i int8(m[r*stride + i]) × int16(q[i]), 32 bytes per step, two accumulators)

const uleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
};

const sleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};

const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (text: string): number[] => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];

// Opcodes.
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const tee = (i: number): number[] => [0x22, i];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const ADD = 0x6a;
const SHL = 0x74;
const LT_U = 0x49;
const GE_U = 0x4f;
const simd = (op: number, ...immediates: number[]): number[] => [0xfd, ...uleb(op), ...immediates];
const load128 = (offset: number): number[] => simd(0x00, 0, ...uleb(offset));
const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const EXTEND_LOW_S = simd(0x87);
const EXTEND_HIGH_S = simd(0x88);
const DOT = simd(0xba);
const ADD_I32X4 = simd(0xae);
const lane = (l: number): number[] => simd(0x1b, l);

// Parameters 0..4: m, rows, stride, q, out. Locals: 5 r, 6 i, 7 qp (i32); 8 acc0, 9 acc1, 10 a, 11 b (v128).
const M = 0;
const ROWS = 1;
const STRIDE = 2;
const Q = 3;
const OUT = 4;
const R = 5;
const I = 6;
const QP = 7;
const ACC0 = 8;
const ACC1 = 9;
const A = 10;
const BV = 11;

function scanBody(): number[] {
  const dotInto = (acc: number, vector: number, extend: number[], offset: number): number[] => [
    ...get(acc),
    ...get(vector),
    ...extend,
    ...get(QP),
    ...load128(offset),
    ...DOT,
    ...ADD_I32X4,
    ...set(acc),
  ];
  const code = [
    0x02, 0x40, // block $done
    0x03, 0x40, // loop $rows
    ...get(R), ...get(ROWS), GE_U, 0x0d, 1, // br_if $done
    ...V128_ZERO, ...set(ACC0),
    ...V128_ZERO, ...set(ACC1),
    ...i32(0), ...set(I),
    ...get(Q), ...set(QP),
    0x03, 0x40, // loop $inner
    ...get(M), ...get(I), ADD, ...load128(0), ...set(A),
    ...get(M), ...get(I), ADD, ...load128(16), ...set(BV),
    ...dotInto(ACC0, A, EXTEND_LOW_S, 0),
    ...dotInto(ACC1, A, EXTEND_HIGH_S, 16),
    ...dotInto(ACC0, BV, EXTEND_LOW_S, 32),
    ...dotInto(ACC1, BV, EXTEND_HIGH_S, 48),
    ...get(QP), ...i32(64), ADD, ...set(QP),
    ...get(I), ...i32(32), ADD, ...tee(I), ...get(STRIDE), LT_U, 0x0d, 0, // br_if $inner
    0x0b, // end $inner
    ...get(ACC0), ...get(ACC1), ...ADD_I32X4, ...set(ACC0),
    ...get(OUT), ...get(R), ...i32(2), SHL, ADD,
    ...get(ACC0), ...lane(0),
    ...get(ACC0), ...lane(1), ADD,
    ...get(ACC0), ...lane(2), ADD,
    ...get(ACC0), ...lane(3), ADD,
    0x36, 2, 0, // i32.store align=4
    ...get(M), ...get(STRIDE), ADD, ...set(M),
    ...get(R), ...i32(1), ADD, ...set(R),
    0x0c, 0, // br $rows
    0x0b, // end $rows
    0x0b, // end $done
    0x0b, // end function
  ];
  const locals = [2, 3, 0x7f, 4, 0x7b]; // 3 × i32, 4 × v128
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(2, [1, ...name('e'), ...name('m'), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('scan'), 0x00, 0]),
    ...section(10, [1, ...scanBody()]),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled scanner, or null where WebAssembly SIMD is unavailable (then the JavaScript scan is used). */
export function int8ScanModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

type ScanFn = (m: number, rows: number, stride: number, q: number, out: number) => void;

export class Int8Rows {
  /** Bytes per stored row: dim rounded up to 32 (the scanner's step), zero padded. */
  readonly stride: number;
  readonly simd: boolean;
  private scales = new Float32Array(1024);
  private memory: WebAssembly.Memory | null = null;
  private scanFn: ScanFn | null = null;
  private bytes = new Int8Array(0);

  constructor(readonly dim: number, options: { simd?: boolean } = {}) {
    this.stride = Math.max(32, Math.ceil(dim / 32) * 32);
    const module = options.simd === false ? null : int8ScanModule();
    if (module) {
      this.memory = new WebAssembly.Memory({ initial: 1 });
      const instance = new WebAssembly.Instance(module, { e: { m: this.memory } });
      this.scanFn = instance.exports['scan'] as ScanFn;
    }
    this.simd = this.scanFn !== null;
  }

  /** Makes room for `rows` rows and a scan over them at once (a matrix loaded whole knows its size). */
  reserve(rows: number): void {
    this.ensure(rows, this.stride * 2 + rows * 4, 1);
  }

  /** Bytes held: the int8 rows (WebAssembly memory, with the scan's scratch and any room to grow) and the scales. */
  get byteLength(): number {
    return (this.memory ? this.memory.buffer.byteLength : this.bytes.byteLength) + this.scales.byteLength;
  }

  /** Quantises `values[offset, offset + dim)` into row `row` (rows must be set in ascending order, no gaps). */
  set(row: number, values: Float32Array, offset: number): void {
    this.ensure(row + 1, 0);
    let max = 0;
    for (let d = 0; d < this.dim; d += 1) max = Math.max(max, Math.abs(values[offset + d] ?? 0));
    const scale = max > 0 ? max / 127 : 1;
    this.scales[row] = max > 0 ? scale : 0;
    const at = row * this.stride;
    for (let d = 0; d < this.dim; d += 1) this.bytes[at + d] = Math.round((values[offset + d] ?? 0) / scale);
    // The padding may hold an earlier scan's scratch bytes: it must be zero to add nothing to the dot product.
    this.bytes.fill(0, at + this.dim, at + this.stride);
  }

  /**
   * Integer dot products of the first `rows` rows with the quantised query. `dots[r] × scales[r]` orders the rows
   * as their float dot products with `query` would, up to quantisation error. Views are valid until the next call.
   */
  scan(query: Float32Array, rows: number): { dots: Int32Array; scales: Float32Array } {
    const queryBytes = this.stride * 2;
    const queryAt = rows * this.stride;
    const outAt = queryAt + queryBytes;
    this.ensure(rows, queryBytes + rows * 4);
    let max = 0;
    for (let d = 0; d < this.dim; d += 1) max = Math.max(max, Math.abs(query[d] ?? 0));
    const factor = max > 0 ? QUERY_MAX / max : 0;
    const q = new Int16Array(this.stride);
    for (let d = 0; d < this.dim; d += 1) q[d] = Math.round((query[d] ?? 0) * factor);
    if (this.scanFn && this.memory) {
      new Int16Array(this.memory.buffer, queryAt, this.stride).set(q);
      this.scanFn(0, rows, this.stride, queryAt, outAt);
      return { dots: new Int32Array(this.memory.buffer, outAt, rows), scales: this.scales };
    }
    const dots = new Int32Array(rows);
    const { bytes, dim, stride } = this;
    for (let r = 0, at = 0; r < rows; r += 1, at += stride) {
      let s0 = 0;
      let s1 = 0;
      let d = 0;
      for (; d + 1 < dim; d += 2) {
        s0 += (bytes[at + d] ?? 0) * (q[d] ?? 0);
        s1 += (bytes[at + d + 1] ?? 0) * (q[d + 1] ?? 0);
      }
      if (d < dim) s0 += (bytes[at + d] ?? 0) * (q[d] ?? 0);
      dots[r] = s0 + s1;
    }
    return { dots, scales: this.scales };
  }

  /**
   * Room for `rows` rows, plus `scratch` bytes after them (query and output of a scan). Growing by a quarter again
   * keeps appending row by row amortised O(1) while over-allocating at most 25 % (WebAssembly memory never shrinks).
   */
  private ensure(rows: number, scratch: number, growth = GROWTH): void {
    if (rows > this.scales.length) {
      const grown = new Float32Array(Math.max(rows, Math.floor(this.scales.length * growth)));
      grown.set(this.scales);
      this.scales = grown;
    }
    const needed = rows * this.stride + scratch;
    if (this.memory) {
      const have = this.memory.buffer.byteLength;
      if (needed > have) {
        const target = Math.max(needed, Math.floor(have * growth));
        this.memory.grow(Math.ceil((target - have) / PAGE));
      }
      if (this.bytes.buffer !== this.memory.buffer) this.bytes = new Int8Array(this.memory.buffer);
      return;
    }
    if (needed > this.bytes.length) {
      const grown = new Int8Array(Math.max(needed, Math.floor(this.bytes.length * growth)));
      grown.set(this.bytes);
      this.bytes = grown;
    }
  }
}

/**
 * The k rows of `data` (normalised float rows, `int8.dim` wide) most similar to the normalised `query`: the int8
 * scan keeps the best `candidates` rows, whose exact dot products (the same arithmetic as scanTopK, so the same
 * scores to the last bit) then pick the top k, best first, ties by row index as scanTopK orders them.
 */
export function int8TopK(int8: Int8Rows, data: Float32Array, rows: number, query: Float32Array, k: number, candidates: number, skip?: (row: number) => boolean): Scored[] {
  const { dots, scales } = int8.scan(query, rows);
  const approx = new TopK(Math.max(k, candidates));
  // The threshold only rises: keeping it in a local saves a getter call per row (the loop runs once per row).
  let threshold = -Infinity;
  for (let row = 0; row < rows; row += 1) {
    const score = dots[row]! * scales[row]!;
    if (score > threshold && !(skip?.(row) ?? false)) {
      approx.push(row, score);
      threshold = approx.threshold;
    }
  }
  const exact = new TopK(k);
  const { dim } = int8;
  for (const { index } of approx.results()) exact.push(index, dot(data, index * dim, query, 0, dim));
  return exact.results();
}
