/**
 * `npm run bench -- segment`: the CPU cost of building the keyword index's segments (buildSegment, what an import
 * does per batch of ~1,000 nodes in its worker), in node, on the search bench's seeded synthetic exchanges
 * (bench/search-page/corpus.ts, seed 42).
 *
 * Each round runs, one after the other on the same batches:
 *   scan         the tokenizer's word boundaries only (tokenize.ts scan(), no strings): a floor for tokenizing
 *   terms        terms() over every field: the public tokenizer, one string per word
 *   baseline     the same rows built plainly (tests/support/segment-reference.ts: terms() with Maps, a default
 *                string sort, one varint at a time)
 *   buildSegment the product's buildSegment
 * (the two builds alternate batch by batch, so a busy neighbour weighs on both alike) and prints CPU time
 * (process.cpuUsage, user + system) per 1,000 nodes: the median over rounds and each round's buildSegment :
 * baseline ratio; and buildSegment's phases (collect / order / sort / encode, wall time), median of the rounds.
 * Before timing, it checks that both builds give the same rows for every batch. (Measured against main's build as it
 * was at 3a256ce, kept in the bench while the build was made faster: 0.56-0.64x the CPU, same rows.)
 * Then the same on half as many batches of mixed scripts (tests/support/segment-corpus.ts).
 * Then, in Debian's chromium, in a dedicated worker (bench/segment-page/worker.ts), where an import builds them:
 * buildSegment keeping its working arrays between builds (the product) against dropping them before every build
 * (as every build did before), wall ms per 1,000 nodes, and what a fresh typed array costs per MB there.
 * BENCH_BATCHES (default 20) batches of 1,000 nodes, BENCH_ROUNDS (default 5). BENCH_NO_BROWSER=1 skips chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { launchChromium } from '../tests/support/browser';
import type { SegmentPageRequest, SegmentPageResult } from './segment-page/worker';
import { isDeepStrictEqual } from 'node:util';
import { segmentBatches } from './segment-page/batches';
import { referenceSegment } from '../tests/support/segment-reference';
import { buildSegment, type IndexDoc, type SegmentPhases } from '../web/src/search/keyword-index';
import { scan, terms } from '../web/src/search/tokenize';
import { trickyCorpus } from '../tests/support/segment-corpus';

const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 20);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BATCH = 1000;
const SEED = 42;

function batches(): IndexDoc[][] {
  return segmentBatches(SEED, BATCHES, BATCH);
}

/** CPU ms (user + system) of `run`. */
function cpu(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

/** Mixed scripts: tests/support/segment-corpus.ts's words (8% accented, CJK, astral, marks, long), 1,000 a batch. */
function mixedBatches(): IndexDoc[][] {
  return Array.from({ length: Math.ceil(BATCHES / 2) }, (_, b) => trickyCorpus(SEED + b, BATCH, 1 + b * BATCH));
}

async function main(): Promise<void> {
  console.log(`segment build, ${BATCHES} batches of ${BATCH} nodes (seed ${SEED}), ${ROUNDS} rounds; load average ${load()}`);
  compare(batches());
  console.log(`\nthe same on ${Math.ceil(BATCHES / 2)} batches of mixed scripts (tests/support/segment-corpus.ts: 8% accented, CJK, astral, long words), load average ${load()}`);
  compare(mixedBatches());
  if (process.env['BENCH_NO_BROWSER'] !== '1') await inChromium();
}

/** The worker's script as one classic file (vite, like the app's build), so a Blob URL can start it. */
async function workerScript(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    build: { write: false, minify: true, lib: { entry: resolve(import.meta.dirname, 'segment-page/worker.ts'), formats: ['iife'], name: 'segmentBench' } },
  });
  const outputs = Array.isArray(out) ? out : [out];
  for (const output of outputs) {
    if (!('output' in output)) continue;
    for (const chunk of output.output) if (chunk.type === 'chunk') return chunk.code;
  }
  throw new Error('vite built no script for the segment worker');
}

async function inChromium(): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'cogzy-bench-segment-'));
  const { context, page } = await launchChromium(profile);
  try {
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    console.log(`\nin chromium (${version}), a dedicated worker, ${BATCHES} batches of ${BATCH} (seed ${SEED}), ${ROUNDS} rounds; load average ${load()}`);
    const code = await workerScript();
    await page.goto('about:blank');
    const request: SegmentPageRequest = { seed: SEED, batches: BATCHES, batch: BATCH, rounds: ROUNDS };
    const answer = await page.evaluate(
      ([source, message]) =>
        new Promise<{ ok?: SegmentPageResult; error?: string }>((done) => {
          const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
          worker.onmessage = (event: MessageEvent<{ ok?: SegmentPageResult; error?: string }>) => done(event.data);
          worker.onerror = (event) => done({ error: event.message });
          worker.postMessage(message);
        }),
      [code, request] as const,
    );
    if (!answer.ok) throw new Error(`the segment worker failed: ${answer.error ?? 'no answer'}`);
    const { kept, fresh, allocation } = answer.ok;
    const f = (v: number): string => `${v.toFixed(1).padStart(6)} ms`;
    console.log(`wall ms per 1,000 nodes, median of ${ROUNDS} rounds (min … max):`);
    console.log(`  arrays kept between builds (the product)   ${f(median(kept))}   (${Math.min(...kept).toFixed(1)} … ${Math.max(...kept).toFixed(1)})`);
    console.log(`  arrays made again for every build          ${f(median(fresh))}   (${Math.min(...fresh).toFixed(1)} … ${Math.max(...fresh).toFixed(1)})`);
    console.log(`kept : made again, per round: ${kept.map((k, i) => (k / (fresh[i] ?? 1)).toFixed(2)).join(' ')} (median ${median(kept.map((k, i) => k / (fresh[i] ?? 1))).toFixed(2)})`);
    console.log(`a fresh Uint8Array touched once per 4 KB, ms per MB by size: ${Object.entries(allocation).map(([kb, v]) => `${kb} KB ${v.toFixed(2)}`).join(', ')}`);
    console.log(`load average ${load()}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function compare(all: readonly IndexDoc[][]): void {
  let sink = 0;
  for (const [b, docs] of all.entries()) {
    if (!isDeepStrictEqual(buildSegment(docs, b + 1), referenceSegment(docs, b + 1))) throw new Error(`batch ${b}: buildSegment's rows differ from the baseline's`);
  }
  console.log('rows: buildSegment and the baseline agree on every batch');

  const variants: Record<string, () => void> = {
    scan: () => {
      for (const docs of all) for (const doc of docs) for (const text of [doc.human, doc.assistant, doc.hidden]) scan(text, (start, end) => void (sink += end - start));
    },
    terms: () => {
      for (const docs of all) for (const doc of docs) for (const text of [doc.human, doc.assistant, doc.hidden]) sink += terms(text).length;
    },
    baseline: () => all.forEach((docs, b) => void (sink += referenceSegment(docs, b + 1).rows.length)),
    buildSegment: () => all.forEach((docs, b) => void (sink += buildSegment(docs, b + 1).rows.length)),
  };
  // Warm-up: one untimed pass of each, so the first round does not pay for compilation.
  for (const run of Object.values(variants)) run();

  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  const ratios: number[] = [];
  const phaseRounds: SegmentPhases[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const phases: SegmentPhases = { collect: 0, order: 0, sort: 0, encode: 0 };
    phaseRounds.push(phases);
    // The tokenizer floors, once a round.
    for (const name of ['scan', 'terms']) times[name]?.push((cpu(variants[name] as () => void) / all.length) * (1000 / BATCH));
    // The two builds alternate batch by batch (and which goes first), so a busy neighbour weighs on both alike.
    let old = 0;
    let now = 0;
    all.forEach((docs, b) => {
      const runOld = (): number => cpu(() => void (sink += referenceSegment(docs, b + 1).rows.length));
      const runNew = (): number => cpu(() => void (sink += buildSegment(docs, b + 1, phases).rows.length));
      if ((b + round) % 2 === 0) {
        old += runOld();
        now += runNew();
      } else {
        now += runNew();
        old += runOld();
      }
    });
    times['baseline']?.push((old / all.length) * (1000 / BATCH));
    times['buildSegment']?.push((now / all.length) * (1000 / BATCH));
    ratios.push(now / old);
  }

  const f = (v: number): string => `${v.toFixed(1).padStart(6)} ms`;
  console.log(`\nCPU ms per 1,000 nodes, median of ${ROUNDS} rounds (min … max):`);
  for (const [name, values] of Object.entries(times)) console.log(`  ${name.padEnd(13)}${f(median(values))}   (${Math.min(...values).toFixed(1)} … ${Math.max(...values).toFixed(1)})`);
  console.log(`buildSegment : baseline, per round: ${ratios.map((r) => r.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)})`);
  console.log(`buildSegment's phases, wall ms per 1,000 nodes (performance.now around each), median of the rounds:`);
  const phase = (rounds: readonly SegmentPhases[], name: keyof SegmentPhases): string => f(median(rounds.map((phases) => phases[name] / all.length)));
  for (const name of ['collect', 'order', 'sort', 'encode'] as const) console.log(`  ${name.padEnd(13)}${phase(phaseRounds, name)}`);
  console.log(`load average ${load()}${sink === 0 ? ' (nothing built?)' : ''}`);
}

await main();
