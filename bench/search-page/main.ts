/**
 * Benchmark page (bench only, built by bench/search.bench.ts with vite): uses the real vault modules. With
 * `?cold=ours|minisearch&q=...` it answers that query as soon as the page loads and records when (ms since
 * navigation start); `window.cogzyBench` then runs query series and ingests through the benchmark worker.
 */
import Dexie from 'dexie';
import MiniSearch from 'minisearch';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
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
/** The measured session's vault connection. */
let ourDb: VaultDatabase | null = null;
let keywordOnly: Engine | null = null;
/** Our keyword search's breakdown of the last query (null for MiniSearch). */
let lastTrace: KeywordTrace | null = null;

async function startOurs(query: string): Promise<ColdResult> {
  const started = performance.now();
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  const openMs = performance.now() - started;
  const search = new SearchService(db);
  service = search;
  ourDb = db;
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

/**
 * People type: the app searches at (nearly) every keystroke, and each keystroke's page mostly holds the hits of the
 * one before. Each query typed a character at a time, every prefix searched (+snippets, 20 hits) by the measured
 * session's service (chunks of earlier pages kept in memory: NodeStore.pageCacheBytes) and by a second connection
 * that keeps none, alternating which types the query first.
 */
async function runTyping(queries: string[]): Promise<{ kept: number[]; none: number[]; keystrokes: number; chunksAsked: number; chunksKept: number }> {
  if (!service) throw new Error('no engine started');
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  db.nodes.pageCacheBytes = 0;
  const none = new SearchService(db);
  const { asked, kept: found } = (ourDb ?? db).nodes.pageChunks;
  const kept: number[] = [];
  const without: number[] = [];
  for (const [i, q] of queries.entries()) {
    const order: [SearchService, number[]][] = [
      [service, kept],
      [none, without],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [engine, out] of order) {
      for (let n = 1; n <= q.length; n++) {
        const started = performance.now();
        await engine.search(q.slice(0, n), { limit: 20 });
        out.push(performance.now() - started);
      }
    }
  }
  db.close();
  const chunks = (ourDb ?? db).nodes.pageChunks;
  return { kept, none: without, keystrokes: kept.length, chunksAsked: chunks.asked - asked, chunksKept: chunks.kept - found };
}

/**
 * BENCH_PAGE_READS: what reading a page of 20 chunk rows costs on its own, by how: `sets` pages of 20 random chunks
 * (each chunk in one set only), first read (cold: never read in this browser) then the same sets again (warm), by
 * Dexie's bulkGet and by raw IndexedDB gets in one transaction, and the same count of one-key gets of small rows.
 */
async function pageReads(sets: number): Promise<Record<string, number[]>> {
  const db = await openVaultDatabase({ name: 'cogzy-bench' });
  const keys = await db.nodeData.toCollection().primaryKeys();
  // A fixed shuffle (LCG): the same sets in every run.
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as number, keys[i] as number];
  }
  const pages = Array.from({ length: sets * 2 }, (_, s) => keys.slice(s * 20, s * 20 + 20));
  const dexieSets = pages.slice(0, sets);
  const rawSets = pages.slice(sets);
  const idb = db.backendDB();
  // Each result taken (as Dexie's bulkGet takes them), nothing else done with it.
  const rawGet = (list: number[]): Promise<unknown[]> =>
    new Promise((resolve, reject) => {
      const tx = idb.transaction(['nodeData'], 'readonly');
      const store = tx.objectStore('nodeData');
      const results: unknown[] = [];
      for (const key of list) {
        const request = store.get(key);
        request.onsuccess = () => results.push(request.result);
      }
      tx.oncomplete = () => resolve(results);
      tx.onerror = () => reject(tx.error ?? new Error('read failed'));
    });
  const out: Record<string, number[]> = {};
  const time = async (name: string, work: () => Promise<unknown>): Promise<void> => {
    const started = performance.now();
    await work();
    (out[name] ??= []).push(performance.now() - started);
  };
  for (let pass = 0; pass < 2; pass++) {
    const label = pass === 0 ? 'cold' : 'warm';
    for (let s = 0; s < sets; s++) {
      await time(`dexie bulkGet 20 chunks, ${label}`, () => db.nodeData.bulkGet(dexieSets[s] ?? []));
      await time(`raw IDB 20 gets, ${label}`, () => rawGet(rawSets[s] ?? []));
    }
  }
  // 20 keys no row has: a request's cost without a chunk's bytes.
  for (let s = 0; s < sets; s++) await time('raw IDB 20 gets of keys absent', () => rawGet(Array.from({ length: 20 }, (_, i) => -1e9 - s * 20 - i)));
  db.close();
  return out;
}

const bench = { ingest, runQueries, runTyping, pageReads, compareScoring, heapBytes, usage, warmState, clearWarmSnapshot, batchWriterPays: () => batchWriterPays(), cold: null as Promise<ColdResult> | null };
if (cold === 'ours') bench.cold = startOurs(query);
if (cold === 'minisearch') bench.cold = startMini(query);
(globalThis as unknown as { cogzyBench: typeof bench }).cogzyBench = bench;
