/**
 * `npm run bench -- search`: keyword search at vault scale in headless chromium, against the real modules.
 *
 * Builds bench/search-page with vite, serves it on a free loopback port and, with a fresh chromium profile:
 *  1. ingests BENCH_NODES (default 100k) synthetic exchanges of ~150 words in a Web Worker through the real write
 *     path (one transaction per 1k nodes: nodes + keyword index segment + import row), then compacts the index;
 *     then builds the MiniSearch 7.2 baseline over the same exchanges and persists it (JSON in IndexedDB);
 *  2. a previous session of ours, as a person's first opening after an import: one query, then idle until the
 *     warm-up has read the index and written its warm snapshot (search/warm-snapshot.ts), which every later opening
 *     reads; BENCH_NO_SNAPSHOT=1 deletes the snapshot instead, to measure the first opening after an import;
 *  3. cold start, for each engine: restart the browser, open the page with a query in the URL, and time from
 *     navigation start to the first answer (median of 3 restarts);
 *  4. runs BENCH_QUERIES (default 300) realistic queries (two words, last word often still being typed, some
 *     quoted phrases) right after the last cold start's answer and prints p50/p95, plus the page's JS heap after
 *     a forced GC; ours also after the second cold start, BENCH_SETTLED_MS (default 4000, 0: not run) after its
 *     answer, as a person who opens the vault and types a few seconds later (the app's warm-up ran meanwhile);
 *  5. ours: the typing series, BENCH_TYPED (default 30) other queries typed a character at a time, every
 *     keystroke searched, with the chunks of earlier pages kept in memory and without (same page, alternating).
 * Prints the figures and the ratios ours : MiniSearch.
 * BENCH_PROFILE=<dir> keeps the chromium profile (both ingested vaults) and reuses it when it already holds
 * BENCH_NODES exchanges, to iterate on query speed without re-ingesting; ingest figures are then not printed.
 * BENCH_ONLY=ingest ingests our vault, then builds and persists MiniSearch over the same exchanges (no cold starts,
 * no queries), and prints both rates, their ratio and our breakdown, to iterate on the write path;
 * BENCH_INGEST_VARIANTS=1 adds IndexedDB variants timed on the sample batches (rows, indexes, durability).
 * BENCH_ONLY=ours skips MiniSearch's cold starts and queries (its column shows NaN), to
 * iterate on query speed. BENCH_CPU_PROFILE=1 records a V8 CPU profile of our "+snippets" pass and prints the
 * functions with the most self time. BENCH_DUMP=<file> writes our per-query latencies and traces there as JSON. BENCH_COMPARE=1 (with a kept profile) only times keyword search's top-k path
 * against its exhaustive scorer in the same page, query by query, and checks their pages are the same.
 * BENCH_ALLOC=1 samples what our "+snippets" pass allocates (garbage included) and prints it by the three innermost
 * frames; BENCH_GC=1 traces the page's garbage collections during that pass (young ones took 8–25 ms each here).
 * BENCH_SETTLE_MS=<ms> makes the measured (last) session wait that long after its first answer before its queries.
 * BENCH_PAGE_READS=1 (with a kept profile) only times pages of 20 chunk rows read on their own: cold, warm, by
 * Dexie and by raw IndexedDB, and 20 gets of absent keys (a request's cost without bytes).
 */
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from '../tests/support/browser';
import { Corpus } from './search-page/corpus';
import type { IngestResult } from './search-page/ingest-worker';
import type { KeywordTrace } from '../web/src/search/keyword-search';

const NODES = Number(process.env['BENCH_NODES'] ?? 100_000);
const QUERIES = Number(process.env['BENCH_QUERIES'] ?? 300);
const COLD_RUNS = 3;
const INGEST_ONLY = process.env['BENCH_ONLY'] === 'ingest';
const OURS_ONLY = process.env['BENCH_ONLY'] === 'ours';
const CPU_PROFILE = process.env['BENCH_CPU_PROFILE'] === '1';
const INGEST_PROFILE = process.env['BENCH_CPU_PROFILE'] === 'ingest';
const HEAP_SUMMARY = process.env['BENCH_HEAP'] === '1';
/** BENCH_ALLOC=1: what our "+snippets" pass allocates, garbage included (sampled), by the three innermost frames. */
const ALLOC_PROFILE = process.env['BENCH_ALLOC'] === '1';
/** BENCH_GC=1: the page's garbage collections during our "+snippets" pass (a trace), by kind, and the slow queries. */
const GC_TRACE = process.env['BENCH_GC'] === '1';
const COMPARE = process.env['BENCH_COMPARE'] === '1';
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 0);
/** The second cold start's page waits this long after its first answer, then runs the queries (0: not run). */
const SETTLED_MS = Number(process.env['BENCH_SETTLED_MS'] ?? 4000);
const TYPED_QUERIES = Number(process.env['BENCH_TYPED'] ?? 30);
const SEED = 42;
const root = resolve(import.meta.dirname, 'search-page');

interface Cold {
  answeredAtMs: number;
  openMs: number;
  results: number;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

function serve(dir: string, port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  server.listen(port, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}

async function launch(profile: string): Promise<{ context: BrowserContext; page: Page }> {
  const { context, page } = await launchChromium(profile, { extraArgs: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return { context, page };
}

/** The typing series (search-page/main.ts runTyping): per keystroke, with chunks kept in memory and without. */
interface Typed {
  kept: number[];
  none: number[];
  keystrokes: number;
  chunksAsked: number;
  chunksKept: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

type WarmState = { warming: boolean; snapshotRows: number; snapshotsWritten: number; rowsFetched: number } | null;

function warmState(page: Page): Promise<WarmState> {
  return page.evaluate(() => (globalThis as unknown as { cogzyBench: { warmState(): WarmState } }).cogzyBench.warmState());
}

/**
 * A session before the measured ones, as a person's first opening after an import: one query, then idle until the
 * warm-up has read the index and written its snapshot (or found a fresh one). Every later opening reads the snapshot.
 */
async function previousSession(profile: string, url: string, query: string): Promise<void> {
  const { context, page } = await launch(profile);
  await page.goto(`${url}/index.html?cold=ours&q=${encodeURIComponent(query)}`);
  await page.evaluate(() => (globalThis as unknown as { cogzyBench: { cold: Promise<Cold> } }).cogzyBench.cold);
  const started = Date.now();
  let state = await warmState(page);
  while (Date.now() - started < 120_000) {
    if (state && !state.warming && (state.snapshotsWritten > 0 || state.snapshotRows > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    state = await warmState(page);
  }
  const what = !state ? 'no keyword search' : state.snapshotsWritten > 0 ? `read ${state.rowsFetched} index rows one by one and wrote the warm snapshot` : state.snapshotRows > 0 ? `found a fresh warm snapshot (${state.snapshotRows} rows)` : 'wrote no warm snapshot (timed out)';
  console.log(`previous session (one query, then idle): ${what}, ${((Date.now() - started) / 1000).toFixed(1)} s after its answer`);
  await context.close();
}

/** Deletes the warm snapshot (search/warm-snapshot.ts), so the next opening reads the index row by row. */
async function clearWarmSnapshot(profile: string, url: string): Promise<void> {
  const { context, page } = await launch(profile);
  await page.goto(`${url}/index.html`);
  await page.evaluate(() => (globalThis as unknown as { cogzyBench: { clearWarmSnapshot(): Promise<void> } }).cogzyBench.clearWarmSnapshot());
  await context.close();
  console.log('no warm snapshot: the measured sessions read the index row by row (BENCH_NO_SNAPSHOT=1)');
}

async function coldStart(
  profile: string,
  url: string,
  engine: 'ours' | 'minisearch',
  query: string,
  queries: string[],
  typingQueries: string[] = [],
): Promise<{ cold: Cold[]; full: number[]; traces: (KeywordTrace | null)[]; keyword: number[]; empty: number; heap: number; typed: Typed | null; settled: number[] }> {
  const cold: Cold[] = [];
  let typed: Typed | null = null;
  let settled: number[] = [];
  let full: number[] = [];
  let traces: (KeywordTrace | null)[] = [];
  let keyword: number[] = [];
  let empty = 0;
  let heap = 0;
  for (let run = 0; run < COLD_RUNS; run++) {
    const { context, page } = await launch(profile);
    await page.goto(`${url}/index.html?cold=${engine}&q=${encodeURIComponent(query)}`);
    cold.push(await page.evaluate(() => (globalThis as unknown as { cogzyBench: { cold: Promise<Cold> } }).cogzyBench.cold));
    if (run === COLD_RUNS - 2 && engine === 'ours' && SETTLED_MS > 0) {
      // A person who opens the vault and types a few seconds later: the app's warm-up at open has run meanwhile.
      await page.waitForTimeout(SETTLED_MS);
      settled = (
        await page.evaluate(
          (qs) => (globalThis as unknown as { cogzyBench: { runQueries(q: string[], w: string): Promise<{ latencies: number[] }> } }).cogzyBench.runQueries(qs, 'full'),
          queries,
        )
      ).latencies;
    }
    if (run === COLD_RUNS - 1) {
      type Series = { latencies: number[]; empty: number; traces: (KeywordTrace | null)[] };
      const bench = (which: 'full' | 'keyword') =>
        page.evaluate(
          ([qs, w]) => (globalThis as unknown as { cogzyBench: { runQueries(q: string[], w: string): Promise<Series> } }).cogzyBench.runQueries(qs, w),
          [queries, which] as [string[], string],
        );
      if (SETTLE_MS > 0 && engine === 'ours') await page.waitForTimeout(SETTLE_MS);
      // One warm-up pass would hide the cost of first-touch postings loads, which people do pay: measure pass one.
      const cdp = CPU_PROFILE && engine === 'ours' ? await context.newCDPSession(page) : null;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      const alloc = ALLOC_PROFILE && engine === 'ours' ? await startAllocationSampling(context, page) : null;
      const gc = GC_TRACE && engine === 'ours' ? await startGcTrace(context, page) : null;
      const fullRun = await bench('full');
      if (cdp) printCpuProfile((await cdp.send('Profiler.stop')).profile);
      if (alloc) await alloc.stop(fullRun.latencies.length);
      if (gc) await gc.stop();
      full = fullRun.latencies;
      traces = fullRun.traces;
      empty = fullRun.empty;
      const warmedBy = engine === 'ours' ? await warmState(page) : null;
      if (warmedBy) console.log(`ours, the measured session's warm-up: ${warmedBy.snapshotRows} postings rows from the warm snapshot, ${warmedBy.rowsFetched} index rows read one by one (with the queries' own)`);
      keyword = (await bench('keyword')).latencies;
      heap = await page.evaluate(() => (globalThis as unknown as { cogzyBench: { heapBytes(): number } }).cogzyBench.heapBytes());
      if (HEAP_SUMMARY && engine === 'ours') await printHeapSummary(context, page);
      // After the heap is measured: its second connection keeps a documents table and caches of its own.
      if (engine === 'ours' && typingQueries.length > 0) {
        typed = await page.evaluate(
          (qs) => (globalThis as unknown as { cogzyBench: { runTyping(q: string[]): Promise<Typed> } }).cogzyBench.runTyping(qs),
          typingQueries,
        );
      }
    }
    await context.close();
  }
  return { cold, full, traces, keyword, empty, heap, typed, settled };
}

/** BENCH_COMPARE: the top-k path and the exhaustive scorer, query by query in one page (see compareScoring). */
async function compare(profile: string, url: string, queries: string[]): Promise<void> {
  const { context, page } = await launch(profile);
  await page.goto(`${url}/index.html`);
  type Comparison = { topK: number[]; exhaustive: number[]; paths: string[]; same: number };
  for (const warm of [false, true]) {
    const r = await page.evaluate(
      ([qs, w]) => (globalThis as unknown as { cogzyBench: { compareScoring(q: string[], w: boolean): Promise<Comparison> } }).cogzyBench.compareScoring(qs, w),
      [queries, warm] as [string[], boolean],
    );
    printComparison(r, queries.length, warm);
  }
  await context.close();
}

function printComparison(r: { topK: number[]; exhaustive: number[]; paths: string[]; same: number }, count: number, warm: boolean): void {
  const row = (label: string, xs: number[]): string => `${label.padEnd(22)} p50 ${ms(percentile(xs, 50)).padStart(9)}  p95 ${ms(percentile(xs, 95)).padStart(9)}  mean ${ms(xs.reduce((a, b) => a + b, 0) / xs.length).padStart(9)}`;
  console.log(`\nkeyword search only (ranked ids + the page's nodes), same page, alternating which runs first, ${warm ? 'warm caches (each query asked once before)' : 'cold caches, no warm-up'}:`);
  console.log(row('top-k path', r.topK));
  console.log(row('exhaustive scorer', r.exhaustive));
  console.log(`p95 ratio top-k : exhaustive ${(percentile(r.topK, 95) / percentile(r.exhaustive, 95)).toFixed(2)}; p50 ratio ${(percentile(r.topK, 50) / percentile(r.exhaustive, 50)).toFixed(2)}; same page (ids and scores) on ${r.same}/${count} queries`);
  const byPath = new Map<string, { fast: number[]; every: number[] }>();
  r.paths.forEach((path, i) => {
    const entry = byPath.get(path) ?? { fast: [], every: [] };
    entry.fast.push(r.topK[i] ?? 0);
    entry.every.push(r.exhaustive[i] ?? 0);
    byPath.set(path, entry);
  });
  for (const [path, { fast, every }] of byPath) console.log(`  ${path.padEnd(15)} ${String(fast.length).padStart(4)} queries: top-k p50 ${ms(percentile(fast, 50))} p95 ${ms(percentile(fast, 95))}; exhaustive p50 ${ms(percentile(every, 50))} p95 ${ms(percentile(every, 95))}`);
}

/** The slowest queries of the "+snippets" pass with where their time went (our keyword search's trace). */
function printSlowest(queries: readonly string[], latencies: readonly number[], traces: readonly (KeywordTrace | null)[], count: number): void {
  const f = (v: number): string => v.toFixed(1).padStart(6);
  console.log(`\nslowest ${count} of ours (+snippets), ms: total = keyword (read [decode] + score + select + page) + snippets/rest`);
  console.log(`  #     total   read decode  score select   page   rest  rows  postings  touched  warm  path            query`);
  const order = latencies.map((t, i) => [t, i] as const).sort((a, b) => b[0] - a[0]).slice(0, count);
  for (const [t, i] of order) {
    const tr = traces[i];
    if (!tr) continue;
    console.log(
      `  ${String(i).padStart(3)} ${f(t)} ${f(tr.readMs)} ${f(tr.decodeMs)} ${f(tr.scoreMs)} ${f(tr.selectMs)} ${f(tr.pageMs)} ${f(t - tr.totalMs)} ${String(tr.rowsFetched).padStart(5)} ${String(tr.postings).padStart(9)} ${String(tr.touched).padStart(8)}  ${tr.warming ? 'yes' : 'no '}   ${tr.path.padEnd(15)} ${JSON.stringify(queries[i])}`,
    );
  }
  const sum = (pick: (tr: KeywordTrace) => number): number => traces.reduce((n, tr) => n + (tr ? pick(tr) : 0), 0) / Math.max(1, traces.length);
  const rest = latencies.reduce((n, t, i) => n + t - (traces[i]?.totalMs ?? t), 0) / Math.max(1, latencies.length);
  console.log(
    `  mean over all ${latencies.length}: read ${sum((tr) => tr.readMs).toFixed(1)} (decode ${sum((tr) => tr.decodeMs).toFixed(1)}), score ${sum((tr) => tr.scoreMs).toFixed(1)}, select ${sum((tr) => tr.selectMs).toFixed(1)}, page ${sum((tr) => tr.pageMs).toFixed(1)}, rest ${rest.toFixed(1)}; queries while warming: ${traces.filter((tr) => tr?.warming === true).length}`,
  );
  // The warm-up (every index row read into memory, from the first query on) shares IndexedDB and the main thread with
  // the queries asked meanwhile; the ones after it show what a person searching a while after opening meets.
  const split = (warming: boolean): number[] => latencies.filter((_, i) => traces[i]?.warming === warming);
  const during = split(true);
  const after = split(false);
  if (during.length > 0 && after.length > 0) {
    console.log(`  while the warm-up read: ${during.length} queries, p50 ${ms(percentile(during, 50))} p95 ${ms(percentile(during, 95))}; after it: ${after.length} queries, p50 ${ms(percentile(after, 50))} p95 ${ms(percentile(after, 95))}`);
  }
  const paths = new Map<string, number>();
  for (const tr of traces) if (tr) paths.set(tr.path, (paths.get(tr.path) ?? 0) + 1);
  console.log(`  scoring paths: ${[...paths].map(([path, n]) => `${path} ${n}`).join(', ')}`);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function over the profile, most first: where the main thread's time went. */
/**
 * BENCH_HEAP=1: a heap snapshot of our page after the measured passes (DevTools HeapProfiler), summed by what V8
 * calls each object (its constructor, or "(string)", "(array)", …): self size and count, the largest first.
 */
/** BENCH_ALLOC: samples every 4 KB allocated, collected or not; `stop` prints the sums by the three innermost frames. */
async function startAllocationSampling(context: BrowserContext, page: Page): Promise<{ stop(queries: number): Promise<void> }> {
  const session = await context.newCDPSession(page);
  await session.send('HeapProfiler.enable');
  await session.send('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(queries: number): Promise<void> {
      const { profile } = await session.send('HeapProfiler.stopSampling');
      type SampleNode = typeof profile.head;
      const sums = new Map<string, number>();
      let total = 0;
      const walk = (node: SampleNode, stack: string[]): void => {
        const frame = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop() ?? ''}:${node.callFrame.lineNumber + 1}`;
        const path = [frame, ...stack];
        total += node.selfSize;
        const key = path.slice(0, 3).join(' < ');
        sums.set(key, (sums.get(key) ?? 0) + node.selfSize);
        for (const child of node.children) walk(child, path);
      };
      walk(profile.head, []);
      console.log(`\nallocated during our "+snippets" pass (sampled every 4 KB, garbage included): ${mb(total)}, ${(total / Math.max(1, queries) / 1024).toFixed(0)} KB a query; most (three innermost frames):`);
      for (const [key, bytes] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${mb(bytes).padStart(9)}  ${key}`);
      await session.detach();
    },
  };
}

/** BENCH_GC: a trace of the page's V8 garbage collections; `stop` prints them by kind (count, total, longest, pauses over 8 ms). */
async function startGcTrace(context: BrowserContext, page: Page): Promise<{ stop(): Promise<void> }> {
  const session = await context.newCDPSession(page);
  const events: { name: string; ts: number; dur: number }[] = [];
  session.on('Tracing.dataCollected', (event) => {
    for (const e of event.value as { name?: string; ts?: number; dur?: number }[]) {
      if (typeof e.name === 'string' && typeof e.ts === 'number' && typeof e.dur === 'number') events.push({ name: e.name, ts: e.ts, dur: e.dur });
    }
  });
  await session.send('Tracing.start', { traceConfig: { includedCategories: ['v8', 'disabled-by-default-v8.gc'] }, transferMode: 'ReportEvents' });
  const startedAt = performance.now();
  return {
    async stop(): Promise<void> {
      const complete = new Promise<void>((resolve) => session.once('Tracing.tracingComplete', () => resolve()));
      await session.send('Tracing.end');
      await complete;
      const first = Math.min(...events.map((e) => e.ts));
      const kinds = new Map<string, { count: number; total: number; max: number; long: string[] }>();
      for (const e of events) {
        if (!/^(MinorGC|MajorGC|V8\.GCFinalizeMC|V8\.GCScavenger)$/.test(e.name)) continue;
        const kind = kinds.get(e.name) ?? { count: 0, total: 0, max: 0, long: [] };
        kind.count += 1;
        kind.total += e.dur / 1000;
        kind.max = Math.max(kind.max, e.dur / 1000);
        if (e.dur > 8000) kind.long.push(`${((e.ts - first) / 1000).toFixed(0)}:${(e.dur / 1000).toFixed(1)}`);
        kinds.set(e.name, kind);
      }
      console.log(`\ngarbage collections in the page during our "+snippets" pass (${((performance.now() - startedAt) / 1000).toFixed(1)} s; "at ms:pause ms" for pauses over 8 ms):`);
      for (const [name, k] of kinds) console.log(`  ${name.padEnd(16)} ${String(k.count).padStart(4)}  total ${ms(k.total).padStart(9)}  longest ${ms(k.max).padStart(8)}  ${k.long.slice(0, 16).join(' ')}`);
      await session.detach();
    },
  };
}

async function printHeapSummary(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (event: { chunk: string }) => chunks.push(event.chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  const snapshot = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byName = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? '?';
    const name = type === 'object' || type === 'native' ? (snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? '?') : `(${type})`;
    const size = snapshot.nodes[i + sizeAt] ?? 0;
    total += size;
    const entry = byName.get(name) ?? { bytes: 0, count: 0 };
    entry.bytes += size;
    entry.count += 1;
    byName.set(name, entry);
  }
  console.log(`\nheap snapshot of our page after the passes: ${mb(total)} in ${(snapshot.nodes.length / width).toLocaleString('en')} objects; by kind, self size:`);
  for (const [name, { bytes, count }] of [...byName].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20)) {
    console.log(`  ${mb(bytes).padStart(9)}  ${count.toLocaleString('en').padStart(10)}  ${name.slice(0, 80)}`);
  }
}

/**
 * BENCH_CPU_PROFILE=ingest: records a V8 CPU profile of every dedicated worker the page starts (the ingest runs in
 * one), through the page's DevTools session (Target.setAutoAttach, messages relayed by Target.sendMessageToTarget);
 * `stop` prints each worker's self time by function.
 */
async function profileWorkers(context: BrowserContext, page: Page): Promise<{ stop(): Promise<void> }> {
  const cdp = await context.newCDPSession(page);
  const live = new Set<string>();
  const profiles = new Map<string, CpuProfile[]>();
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  const send = (sessionId: string, method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++;
    const answer = new Promise<unknown>((resolve) => pending.set(id, resolve));
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => pending.get(id)?.(null));
    return answer;
  };
  cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  cdp.on('Target.detachedFromTarget', (event: { sessionId: string }) => live.delete(event.sessionId));
  cdp.on('Target.attachedToTarget', (event: { sessionId: string; targetInfo: { type: string } }) => {
    if (event.targetInfo.type !== 'worker') return;
    live.add(event.sessionId);
    profiles.set(event.sessionId, []);
    void (async () => {
      await send(event.sessionId, 'Profiler.enable');
      await send(event.sessionId, 'Profiler.setSamplingInterval', { interval: 500 });
      await send(event.sessionId, 'Profiler.start');
      await send(event.sessionId, 'Runtime.runIfWaitingForDebugger');
    })();
  });
  // A worker's profile is lost when it ends: take it in slices of two seconds (the last slice of each is lost).
  const take = async (): Promise<void> => {
    for (const sessionId of [...live]) {
      const result = (await send(sessionId, 'Profiler.stop')) as { profile?: CpuProfile } | null;
      if (result?.profile) profiles.get(sessionId)?.push(result.profile);
      if (live.has(sessionId)) void send(sessionId, 'Profiler.start');
    }
  };
  const timer = setInterval(() => void take(), 2000);
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
  return {
    async stop() {
      clearInterval(timer);
      await take();
      for (const [sessionId, slices] of profiles) {
        if (slices.length === 0) continue;
        const merged: CpuProfile = { nodes: [], samples: [], timeDeltas: [] };
        slices.forEach((slice, k) => {
          const offset = k * 1_000_000;
          for (const node of slice.nodes) merged.nodes.push({ ...node, id: node.id + offset });
          for (const id of slice.samples ?? []) merged.samples?.push(id + offset);
          for (const delta of slice.timeDeltas ?? []) merged.timeDeltas?.push(delta);
        });
        printCpuProfile(merged, `a worker (${sessionId.slice(0, 8)}, ${slices.length} slices of 2 s)`);
      }
    },
  };
}

function printCpuProfile(profile: CpuProfile, what = 'our "+snippets" pass'): void {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    const delta = (profile.timeDeltas?.[i] ?? 0) / 1000;
    total += delta;
    const key = `${frame?.functionName || '(anonymous)'} ${(frame?.url ?? '').split('/').pop() ?? ''}:${(frame?.lineNumber ?? 0) + 1}`;
    self.set(key, (self.get(key) ?? 0) + delta);
  });
  const idle = [...self].filter(([key]) => key.startsWith('(idle)')).reduce((sum, [, t]) => sum + t, 0);
  console.log(`\nCPU profile of ${what}: ${total.toFixed(0)} ms sampled, ${(total - idle).toFixed(0)} ms busy; self time by function:`);
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${t.toFixed(0).padStart(7)} ms  ${key}`);
}

/** p50/p95 per kind of query: phrases, a last word being typed, whole words. */
function printByKind(queries: readonly string[], latencies: readonly number[]): void {
  const kinds: Record<string, number[]> = { phrase: [], prefix: [], words: [] };
  queries.forEach((q, i) => kinds[q.startsWith('"') ? 'phrase' : /\s$/u.test(q) ? 'words' : 'prefix']?.push(latencies[i] ?? 0));
  console.log(`ours (+snippets) by kind: ${Object.entries(kinds).map(([k, v]) => `${k} (${v.length}) p50 ${ms(percentile(v, 50))} p95 ${ms(percentile(v, 95))}`).join('; ')}`);
}

function printBreakdown(r: IngestResult): void {
  const parts = r.breakdown;
  if (!parts) return;
  const f = (v: number): string => `${v.toFixed(1).padStart(7)} ms`;
  console.log(`\ningest breakdown, ms per 1,000 nodes (batch N+1 is prepared while batch N commits):`);
  console.log(`  prepare (dedupe, node rows, index segment)      ${f(parts.prepare)}   (${parts.sampleBatches} sample batches)`);
  console.log(`  then waiting for the commit before              ${f(parts.commitWait)}`);
  console.log(`  inside the transaction (every batch, step by step; the commit overlaps the next prepare):`);
  for (const [step, ms] of Object.entries(parts.insideCommit)) console.log(`    ${step.padEnd(46)}${f(ms)}`);
  console.log(`  each alone, on the sample batches:`);
  console.log(`    tokenize (terms() over every field)           ${f(parts.tokenize)}`);
  console.log(`    buildSegment (tokenize + postings + encoding) ${f(parts.buildSegment)}`);
  console.log(`    node chunks: JSON + structuredClone           ${f(parts.cloneNodes)}`);
  console.log(`    structuredClone segment rows (${parts.indexRowsPerBatch.toFixed(0)} rows)      ${f(parts.cloneIndexRows)}`);
  console.log(`    IndexedDB tx: node chunks only                ${f(parts.txNodes)}`);
  console.log(`    IndexedDB tx: segment rows only (bulkPut)     ${f(parts.txIndexRows)}`);
  if (Object.keys(parts.variants).length > 0) console.log(`  IndexedDB variants, each its own transaction on the sample batches' rows:`);
  for (const [variant, ms] of Object.entries(parts.variants)) console.log(`    ${variant.padEnd(46)}${f(ms)}`);
  console.log(`  compaction (finish), per 1,000 nodes            ${f((r.finishMs / r.nodes) * 1000)}`);
  for (const [step, ms] of Object.entries(parts.compaction ?? {})) console.log(`    ${step.padEnd(46)}${f(ms)}`);
  const counts = (label: string, c: Record<string, number> | undefined): void => {
    if (!c) return;
    const total = Object.entries(c).filter(([k]) => k !== 'db.transaction').reduce((n, [, v]) => n + v, 0);
    console.log(`  ${label}: ${total.toFixed(0)} requests, ${(c['db.transaction'] ?? 0).toFixed(1)} transactions (${Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`);
  };
  console.log(`IndexedDB requests per 1,000 nodes:`);
  if (r.writer) console.log('  (the batches committed on the writer worker: its requests are not counted here, nor its transaction steps above)');
  counts('ingest', parts.requests);
  counts('compaction', parts.compactionRequests);
  console.log('');
}

function printIngest(r: IngestResult): void {
  console.log(`ours: ${r.nodes} nodes ingested in ${r.ingestMs.toFixed(0)} ms + compaction ${r.finishMs.toFixed(0)} ms = ${(r.nodes / ((r.ingestMs + r.finishMs) / 1000)).toFixed(0)} nodes/s`);
  // The app says an import is done before merging its segments (import-worker.ts): search works from then on.
  console.log(`  searchable without the compaction, as the app reports done: ${(r.nodes / (r.ingestMs / 1000)).toFixed(0)} nodes/s`);
  printBreakdown(r);
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'cogzy-bench-search-'));
  const keptProfile = process.env['BENCH_PROFILE'];
  const profile = keptProfile ?? mkdtempSync(join(tmpdir(), 'cogzy-bench-profile-'));
  if (keptProfile) mkdirSync(keptProfile, { recursive: true });
  // IndexedDB belongs to an origin, and the origin includes the port: a reused profile needs the same port again.
  const marker = join(profile, 'cogzy-bench-vault');
  const [markedNodes, markedPort] = existsSync(marker) ? readFileSync(marker, 'utf8').split(':') : [];
  const reuse = keptProfile !== undefined && markedNodes === String(NODES) && markedPort !== undefined;
  await build({ root, base: './', configFile: false, logLevel: 'warn', build: { outDir: out, emptyOutDir: true, minify: !CPU_PROFILE && !INGEST_PROFILE && !ALLOC_PROFILE }, worker: { format: 'es' } });
  const server = await serve(out, reuse ? Number(markedPort) : 0);
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const corpus = new Corpus(SEED);
  const queries = corpus.queries(QUERIES, NODES);
  const load = (): string => loadavg().map((n) => n.toFixed(1)).join(' ');
  console.log(`vault: ${NODES.toLocaleString('en')} exchanges (~150 words each), ${QUERIES} queries, chromium headless, 2 cores; load average ${load()}`);

  try {
    const { context, page } = await launch(profile);
    await page.goto(`${url}/index.html`);
    const ingest = async (kind: 'ours' | 'minisearch', options: { writer?: boolean; database?: string } = {}): Promise<IngestResult> =>
      reuse
        ? { kind, nodes: NODES, ingestMs: Number.NaN, finishMs: Number.NaN, serializedBytes: Number.NaN }
        : page.evaluate(
            (request) => (globalThis as unknown as { cogzyBench: { ingest(r: unknown): Promise<IngestResult> } }).cogzyBench.ingest(request),
            { kind, nodes: NODES, seed: SEED, batch: 1000, variants: process.env['BENCH_INGEST_VARIANTS'] === '1', ...options },
          );
    // The headline ingest takes the app's choice (batchWriterPays: a writer worker only with 4 cores or more).
    // BENCH_ONLY=ingest also times the other choice first, into a database of its own, in the same run.
    const workerProfile = INGEST_PROFILE ? await profileWorkers(context, page) : null;
    const appWriter = await page.evaluate(() => (globalThis as unknown as { cogzyBench: { batchWriterPays(): boolean } }).cogzyBench.batchWriterPays());
    const otherChoice = INGEST_ONLY && !reuse ? await ingest('ours', { writer: !appWriter, database: 'cogzy-bench-other-choice' }) : null;
    const oursIngest = await ingest('ours', { writer: appWriter });
    await workerProfile?.stop();
    const usageOurs = await page.evaluate(() => (globalThis as unknown as { cogzyBench: { usage(): Promise<number> } }).cogzyBench.usage());
    if (INGEST_ONLY) {
      const miniOnly = await ingest('minisearch');
      await context.close();
      const rate = (r: IngestResult) => r.nodes / ((r.ingestMs + r.finishMs) / 1000);
      const label = (writer: boolean): string => (writer ? 'commits on the writer worker' : 'commits on the ingesting worker');
      if (otherChoice) {
        console.log(`${label(!appWriter)} (not the app's choice on ${appWriter ? '4 or more' : 'fewer than 4'} cores):`);
        printIngest(otherChoice);
        console.log(`\n${label(appWriter)} (the app's choice here):`);
      }
      printIngest(oursIngest);
      if (otherChoice) {
        const [writer, one] = appWriter ? [oursIngest, otherChoice] : [otherChoice, oursIngest];
        console.log(`writer worker : one thread, nodes/s: ${(rate(writer) / rate(one)).toFixed(2)} (higher is better)`);
      }
      console.log(`MiniSearch 7.2 in the same run: addAll ${miniOnly.ingestMs.toFixed(0)} ms + persist ${miniOnly.finishMs.toFixed(0)} ms = ${rate(miniOnly).toFixed(0)} nodes/s; ours:MiniSearch ${(rate(oursIngest) / rate(miniOnly)).toFixed(2)} (higher is better)`);
      console.log(`load average at end: ${load()}`);
      return;
    }
    const miniIngest = await ingest('minisearch');
    await context.close();
    if (keptProfile && !reuse) writeFileSync(marker, `${NODES}:${port}`);

    if (process.env['BENCH_PAGE_READS'] === '1') {
      const { context: readContext, page } = await launch(profile);
      await page.goto(`${url}/index.html`);
      const reads = await page.evaluate((n) => (globalThis as unknown as { cogzyBench: { pageReads(n: number): Promise<Record<string, number[]>> } }).cogzyBench.pageReads(n), 150);
      console.log('\npage reads (150 pages of 20 random chunk rows each, every chunk in one page only):');
      for (const [name, xs] of Object.entries(reads)) console.log(`  ${name.padEnd(36)} p50 ${ms(percentile(xs, 50)).padStart(9)}  p95 ${ms(percentile(xs, 95)).padStart(9)}  max ${ms(Math.max(...xs)).padStart(9)}`);
      await readContext.close();
      console.log(`load average at end: ${load()}`);
      return;
    }
    if (COMPARE) {
      await compare(profile, url, queries);
      console.log(`load average at end: ${load()}`);
      return;
    }
    // BENCH_NO_SNAPSHOT=1: measure the first opening after the import instead (no warm snapshot yet).
    if (process.env['BENCH_NO_SNAPSHOT'] === '1') await clearWarmSnapshot(profile, url);
    else await previousSession(profile, url, queries[0] ?? 'memory index');
    // The typing series: two whole words each, typed a character at a time (its own queries, not the 300's).
    const typingQueries = corpus.queries(120, NODES, 7).filter((q) => !q.startsWith('"') && q.endsWith(' ')).slice(0, TYPED_QUERIES);
    const ours = await coldStart(profile, url, 'ours', queries[1] ?? 'memory index', queries, typingQueries);
    const dump = process.env['BENCH_DUMP'];
    if (dump) writeFileSync(dump, JSON.stringify({ queries, full: ours.full, keyword: ours.keyword, traces: ours.traces, load: loadavg() }));
    const mini = OURS_ONLY
      ? { cold: [{ answeredAtMs: Number.NaN, openMs: Number.NaN, results: 0 }], full: [Number.NaN], traces: [], keyword: [Number.NaN], empty: 0, heap: Number.NaN, typed: null, settled: [] }
      : await coldStart(profile, url, 'minisearch', queries[1] ?? 'memory index', queries);

    const rate = (r: IngestResult) => r.nodes / ((r.ingestMs + r.finishMs) / 1000);
    console.log('\n                         ours (persisted BM25)   MiniSearch 7.2        ratio ours:mini');
    const row = (label: string, a: number, b: number, fmt: (v: number) => string, better: 'lower' | 'higher') =>
      console.log(`${label.padEnd(25)}${fmt(a).padEnd(24)}${fmt(b).padEnd(22)}${(a / b).toFixed(2)} (${better} is better)`);
    row('index build (engine)', oursIngest.ingestMs, miniIngest.ingestMs, ms, 'lower');
    row('finish (compact/persist)', oursIngest.finishMs, miniIngest.finishMs, ms, 'lower');
    row('ingest rate, nodes/s', rate(oursIngest), rate(miniIngest), (v) => v.toFixed(0), 'higher');
    console.log(`  ours searchable without the final compaction (the app reports done before it): ${(oursIngest.nodes / (oursIngest.ingestMs / 1000)).toFixed(0)} nodes/s`);
    printBreakdown(oursIngest);
    row('cold start (median)', median(ours.cold.map((c) => c.answeredAtMs)), median(mini.cold.map((c) => c.answeredAtMs)), ms, 'lower');
    row('  of which open/load', median(ours.cold.map((c) => c.openMs)), median(mini.cold.map((c) => c.openMs)), ms, 'lower');
    row('query p50 (ranked ids)', percentile(ours.keyword, 50), percentile(mini.keyword, 50), ms, 'lower');
    row('query p95 (ranked ids)', percentile(ours.keyword, 95), percentile(mini.keyword, 95), ms, 'lower');
    row('query p50 (+snippets)', percentile(ours.full, 50), percentile(mini.full, 50), ms, 'lower');
    row('query p95 (+snippets)', percentile(ours.full, 95), percentile(mini.full, 95), ms, 'lower');
    row('page JS heap after GC', ours.heap, mini.heap, mb, 'lower');
    if (ours.settled.length > 0) {
      const s = ours.settled;
      console.log(`ours, the same queries typed ${SETTLED_MS / 1000} s after the vault opened (another cold start; the app's warm-up at open ran meanwhile): p50 ${ms(percentile(s, 50))}, p95 ${ms(percentile(s, 95))} (+snippets); first 50 p95 ${ms(percentile(s.slice(0, 50), 95))}`);
    }
    console.log(`\nours: ${ours.empty}/${QUERIES} queries with no result (MiniSearch: ${mini.empty}); IndexedDB usage after our ingest ${mb(usageOurs)}; MiniSearch serialised index ${mb(miniIngest.serializedBytes)}`);
    console.log('ours "ranked ids" includes reading the top 20 nodes from IndexedDB; "+snippets" adds titles and highlighted snippets. MiniSearch returns ids only in both rows.');
    printByKind(queries, ours.full);
    printSlowest(queries, ours.full, ours.traces, 15);
    if (ours.typed) {
      const { kept, none, keystrokes, chunksAsked, chunksKept } = ours.typed;
      console.log(`\ntyping: ${typingQueries.length} queries typed a character at a time, every keystroke searched (+snippets, 20 hits): ${keystrokes} keystrokes each way`);
      console.log(`  chunks of earlier pages kept in memory   p50 ${ms(percentile(kept, 50)).padStart(9)}  p95 ${ms(percentile(kept, 95)).padStart(9)}  mean ${ms(kept.reduce((a, b) => a + b, 0) / kept.length).padStart(9)}`);
      console.log(`  none kept (every page read from storage) p50 ${ms(percentile(none, 50)).padStart(9)}  p95 ${ms(percentile(none, 95)).padStart(9)}  mean ${ms(none.reduce((a, b) => a + b, 0) / none.length).padStart(9)}`);
      console.log(`  chunk rows the kept pages asked for: ${chunksAsked}, ${((100 * chunksKept) / Math.max(1, chunksAsked)).toFixed(0)}% of them found in memory`);
      console.log(`  kept : none  p50 ${(percentile(kept, 50) / percentile(none, 50)).toFixed(2)}, p95 ${(percentile(kept, 95) / percentile(none, 95)).toFixed(2)} (lower is better)`);
    }
    const slowest = queries.map((q, i) => [q, ours.full[i] ?? 0] as const).sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(`slowest of ours (+snippets): ${slowest.map(([q, t]) => `${JSON.stringify(q)} ${ms(t)}`).join(', ')}`);
    console.log(`cold starts ours: ${ours.cold.map((c) => ms(c.answeredAtMs)).join(', ')}; MiniSearch: ${mini.cold.map((c) => ms(c.answeredAtMs)).join(', ')}`);
    const targets = [
      ['cold start < 1500 ms', median(ours.cold.map((c) => c.answeredAtMs)) < 1500],
      ['query p95 < 50 ms', percentile(ours.full, 95) < 50],
    ] as const;
    console.log(targets.map(([label, ok]) => `${ok ? 'met' : 'MISSED'}: ${label}`).join('; '));
    console.log(`load average at end: ${load()}`);
  } finally {
    server.close();
    rmSync(out, { recursive: true, force: true });
    if (!keptProfile) rmSync(profile, { recursive: true, force: true });
  }
}

await main();
