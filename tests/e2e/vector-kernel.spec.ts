/**
 * The int8 scanner's relaxed-SIMD kernel runs only where relaxed SIMD exists (Chromium, not the Node that runs the
 * unit tests), so it is checked here, in Debian's chromium: its integer dot products equal the plain JavaScript
 * ones for the same 7-bit query, and the app's VectorMatrix on it returns the exact scan's top 20.
 * (tests/unit/vector-int8.test.ts checks the plain SIMD kernel the same way in Node.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';

const root = resolve(import.meta.dirname, '..', '..');

/** The shipped modules, bundled from TypeScript as-is. */
function engineBundle(): string {
  const entry = [
    "export { Int8Rows, relaxedScanModule } from './web/src/vectors/int8-scan';",
    "export { VectorMatrix } from './web/src/vectors/vector-matrix';",
    "export { seededRandom } from './shared/embed/random';",
  ].join('\n');
  const out = buildSync({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, format: 'iife', globalName: 'engine', write: false, target: 'es2022' });
  return out.outputFiles[0]?.text ?? '';
}

let profile: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'cogzy-kernel-'));
  ({ context, page } = await launchChromium(profile));
  await page.setContent('<!doctype html><title>kernel</title>');
  // tsx/vitest compile page functions with esbuild's keep-names helper; give the page that helper.
  await page.addScriptTag({ content: 'window.__name = (fn) => fn;' });
  await page.addScriptTag({ content: engineBundle() });
});

afterAll(async () => {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('int8 relaxed-SIMD kernel in chromium', () => {
  it('is picked by default, and its dot products equal plain JavaScript with the same 7-bit query', async () => {
    const result = await page.evaluate(() => {
      interface Rows {
        kernel: string;
        set(row: number, values: Float32Array, offset: number): void;
        scan(query: Float32Array, rows: number): { dots: Int32Array };
      }
      type RowsClass = new (dim: number, options?: { kernel?: string; queryMax?: number }) => Rows;
      const { Int8Rows, relaxedScanModule, seededRandom } = (window as unknown as { engine: { Int8Rows: RowsClass; relaxedScanModule: () => unknown; seededRandom: (seed: number) => () => number } }).engine;
      const random = seededRandom(31);
      // 100 dimensions: not a multiple of the 32-byte step, so the padding is exercised; extreme values too.
      const dim = 100;
      const rows = 900;
      const data = Float32Array.from({ length: rows * dim }, () => random() - 0.5);
      data.fill(1, 0, dim);
      data.fill(-1, dim, 2 * dim);
      const relaxed = new Int8Rows(dim);
      const plain = new Int8Rows(dim, { kernel: 'js', queryMax: 63 });
      const rounds: { equal: boolean; nonZero: boolean }[] = [];
      for (let round = 0; round < 3; round += 1) {
        // Rows are added between scans, where the previous scan left its scratch bytes.
        const from = Math.floor((rows * round) / 3);
        const to = Math.floor((rows * (round + 1)) / 3);
        for (let r = from; r < to; r += 1) {
          relaxed.set(r, data, r * dim);
          plain.set(r, data, r * dim);
        }
        const query = Float32Array.from({ length: dim }, () => random() - 0.5);
        if (round === 2) query.fill(-0.5, 0, 50);
        const a = Array.from(relaxed.scan(query, to).dots);
        const b = Array.from(plain.scan(query, to).dots);
        rounds.push({ equal: a.length === b.length && a.every((x, i) => x === b[i]), nonZero: a.some((x) => x !== 0) });
      }
      return { available: relaxedScanModule() !== null, kernel: relaxed.kernel, plainKernel: plain.kernel, rounds };
    });
    expect(result.available).toBe(true);
    expect(result.kernel).toBe('relaxed-simd');
    expect(result.plainKernel).toBe('js');
    expect(result.rounds).toEqual([
      { equal: true, nonZero: true },
      { equal: true, nonZero: true },
      { equal: true, nonZero: true },
    ]);
  });

  it("gives VectorMatrix the exact scan's top 20 (ids, order, scores) on at least 99% of queries over clustered rows", async () => {
    const result = await page.evaluate(() => {
      interface Neighbour {
        nodeId: string;
        score: number;
      }
      interface Matrix {
        add(nodeIds: readonly string[], block: Float32Array): number;
        nearest(query: Float32Array, k: number): Neighbour[];
      }
      type MatrixClass = new (modelId: string, dim: number, initialRows?: number, options?: { int8?: boolean }) => Matrix;
      const { VectorMatrix, seededRandom } = (window as unknown as { engine: { VectorMatrix: MatrixClass; seededRandom: (seed: number) => () => number } }).engine;
      const random = seededRandom(32);
      const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const dim = 384;
      const rows = 12_000;
      const clusters = 150;
      const centres = Float32Array.from({ length: clusters * dim }, gaussian);
      const spread = Array.from({ length: clusters }, () => 0.01 + random() * 0.06);
      const data = new Float32Array(rows * dim);
      for (let r = 0; r < rows; r += 1) {
        const c = Math.floor(random() * clusters);
        for (let d = 0; d < dim; d += 1) data[r * dim + d] = centres[c * dim + d]! / Math.sqrt(dim) + gaussian() * spread[c]! / Math.sqrt(dim);
      }
      const ids = Array.from({ length: rows }, (_, i) => `n${i}`);
      const fast = new VectorMatrix('m', dim, rows);
      const exact = new VectorMatrix('m', dim, rows, { int8: false });
      fast.add(ids, data);
      exact.add(ids, data);
      let same = 0;
      let overlapWide = 0;
      const queries = 120;
      for (let i = 0; i < queries; i += 1) {
        const r = Math.floor(random() * rows);
        const q = Float32Array.from(data.subarray(r * dim, (r + 1) * dim), (x) => x + (gaussian() * 0.02) / Math.sqrt(dim));
        const a = fast.nearest(q, 20);
        const b = exact.nearest(q, 20);
        if (a.length === b.length && a.every((n, j) => n.nodeId === b[j]?.nodeId && n.score === b[j]?.score)) same += 1;
        // What the app asks for (50 results, oversampled 4 times): the share of the exact 200 found.
        const wide = new Set(exact.nearest(q, 200).map((n) => n.nodeId));
        overlapWide += fast.nearest(q, 200).filter((n) => wide.has(n.nodeId)).length / 200;
      }
      return { identical: same / queries, overlapWide: overlapWide / queries };
    });
    expect(result.identical).toBeGreaterThanOrEqual(0.99);
    expect(result.overlapWide).toBeGreaterThanOrEqual(0.999);
  });
});
