/**
 * Benchmark page (bench only, built by bench/search.bench.ts with vite): uses the real vault modules. With
 * `?cold=ours|minisearch&q=...` it answers that query as soon as the page loads and records when (ms since
 * navigation start); `window.cogzyBench` then runs query series and ingests through the benchmark worker.
 */
import Dexie from 'dexie';
import MiniSearch from 'minisearch';
import { openVaultDatabase } from '../../web/src/db/database';
import { KeywordSearch, type KeywordTrace } from '../../web/src/search/keyword-search';
import { SearchService } from '../../web/src/search/search';
import type { IngestRequest, IngestResult } from './ingest-worker';
import { batchWriterPays } from '../../web/src/import/writer-client';

interface ColdResult {
  answeredAtMs: number;
  openMs: number;
  results: number;
}

type Engine = { search(query: string): Promise<number> };

let engine: Engine | null = null;
let service: SearchService | null = null;
let keywordOnly: Engine | null = null;
/** Our keyword search's breakdown of the last query (null for MiniSearch). */
let lastTrace: KeywordTrace | null = null;

async function startOurs(query: string): Promise<ColdResult> {
  const started = performance.now();
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  const openMs = performance.now() - started;
  const search = new SearchService(db);
  service = search;
  search.keyword.trace = (trace) => {
    lastTrace = trace;
  };
  engine = { search: async (q) => (await search.search(q, { limit: 20 })).results.length };
  keywordOnly = { search: async (q) => (await search.keyword.search(q, {}, 20)).length };
  const results = await engine.search(query);
  return { answeredAtMs: performance.now(), openMs, results };
}

function miniOptions(query: string): { text: string; options: { combineWith: 'AND'; prefix: (term: string, i: number, terms: string[]) => boolean } } {
  const typing = !/[\s"]$/.test(query);
  // MiniSearch has no phrase search: a quoted phrase becomes "all of these words".
  return { text: query.replace(/"/g, ' '), options: { combineWith: 'AND', prefix: (_t, i, terms) => typing && i === terms.length - 1 } };
}

async function startMini(query: string): Promise<ColdResult> {
  const started = performance.now();
  const db = new Dexie('cogzy-bench-minisearch');
  db.version(1).stores({ index: 'key' });
  const row = (await db.table('index').get('index')) as { json: string };
  const index = MiniSearch.loadJSON<{ id: string }>(row.json, { fields: ['human', 'assistant'], idField: 'id' });
  const openMs = performance.now() - started;
  engine = {
    search: (q) => {
      const { text, options } = miniOptions(q);
      return Promise.resolve(index.search(text, options).slice(0, 20).length);
    },
  };
  keywordOnly = engine;
  const results = await engine.search(query);
  return { answeredAtMs: performance.now(), openMs, results };
}

async function runQueries(queries: string[], which: 'full' | 'keyword'): Promise<{ latencies: number[]; empty: number; traces: (KeywordTrace | null)[] }> {
  const target = which === 'full' ? engine : keywordOnly;
  if (!target) throw new Error('no engine started');
  const latencies: number[] = [];
  const traces: (KeywordTrace | null)[] = [];
  let empty = 0;
  for (const q of queries) {
    lastTrace = null;
    const started = performance.now();
    const n = await target.search(q);
    latencies.push(performance.now() - started);
    traces.push(lastTrace);
    if (n === 0) empty++;
  }
  return { latencies, empty, traces };
}

/**
 * The top-k path against the exhaustive scorer in the same page, query by query (which runs first alternates):
 * keyword search only (ranked ids and the page's nodes), each with its own caches, cold or (`warm`) after one
 * untimed pass over the same queries.
 */
async function compareScoring(queries: string[], warm: boolean): Promise<{ topK: number[]; exhaustive: number[]; paths: string[]; same: number }> {
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  const fast = new KeywordSearch(db);
  const every = new KeywordSearch(db, { exhaustive: true });
  // Warm: every query asked once first, so the timed pass reads no row for the first time (scoring, not storage).
  if (warm) for (const q of queries) for (const engine of [fast, every]) await engine.search(q, {}, 20);
  let path = '';
  fast.trace = (trace) => {
    path = trace.path;
  };
  const topK: number[] = [];
  const exhaustive: number[] = [];
  const paths: string[] = [];
  let same = 0;
  for (const [i, q] of queries.entries()) {
    const order = i % 2 === 0 ? [fast, every] : [every, fast];
    const ids: string[][] = [];
    for (const engine of order) {
      const started = performance.now();
      const hits = await engine.search(q, {}, 20);
      (engine === fast ? topK : exhaustive).push(performance.now() - started);
      ids.push(hits.map((hit) => `${hit.nodeId}:${hit.score}`));
    }
    if (JSON.stringify(ids[0]) === JSON.stringify(ids[1])) same++;
    paths.push(path);
  }
  db.close();
  return { topK, exhaustive, paths, same };
}

function heapBytes(): number {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  gc?.();
  return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;
}

function ingest(request: IngestRequest): Promise<IngestResult> {
  const worker = new Worker(new URL('./ingest-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<{ type: string; result?: IngestResult; message?: string; done?: number }>) => {
      if (event.data.type === 'done' && event.data.result) {
        worker.terminate();
        resolve(event.data.result);
      } else if (event.data.type === 'error') {
        worker.terminate();
        reject(new Error(event.data.message));
      } else if (event.data.type === 'progress') console.log(`ingest ${request.kind}: ${event.data.done}`);
    });
    worker.postMessage(request);
  });
}

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0;
}

const params = new URLSearchParams(location.search);
const cold = params.get('cold');
const query = params.get('q') ?? '';
/** Our keyword search's warm-up as it stands (rows taken from the warm snapshot, snapshots written), null for MiniSearch. */
function warmState(): { warming: boolean; snapshotRows: number; snapshotsWritten: number; rowsFetched: number } | null {
  if (!service) return null;
  const { warming, snapshotRows, snapshotsWritten, rowsFetched } = service.keyword.readerCounters;
  return { warming, snapshotRows, snapshotsWritten, rowsFetched };
}

async function clearWarmSnapshot(): Promise<void> {
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  await db.warmSnapshots.clear();
  db.close();
}

const bench = { ingest, runQueries, compareScoring, heapBytes, usage, warmState, clearWarmSnapshot, batchWriterPays: () => batchWriterPays(), cold: null as Promise<ColdResult> | null };
if (cold === 'ours') bench.cold = startOurs(query);
if (cold === 'minisearch') bench.cold = startMini(query);
(globalThis as unknown as { cogzyBench: typeof bench }).cogzyBench = bench;
