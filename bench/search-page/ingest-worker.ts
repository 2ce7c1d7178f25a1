/**
 * Benchmark worker: writes the synthetic vault the way the import worker does (prepareImportBatch, then
 * commitImportBatch: nodes, keyword index segment and import row in one transaction per batch, run on the import's
 * writer worker when `writer` is true, the next batch prepared while one commits; then compaction), or builds
 * the MiniSearch baseline
 * over the same exchanges and persists it as the app would have to (one serialised index in IndexedDB).
 */
import Dexie from 'dexie';
import MiniSearch from 'minisearch';
import { openVaultDatabase } from '../../web/src/db/database';
import type { ImportBatch } from '../../shared/import';
import { commitImportBatch, createImportRow, indexPosition, loadKnownIds, prepareImportBatch, type BatchCounts, type PreparedBatch } from '../../web/src/db/import-writes';
import type { NodeRow } from '../../web/src/db/database';
import { NODE_TABLES, prepareChunks } from '../../web/src/db/node-store';
import { toNodeRow } from '../../web/src/db/vault-writes';
import { commitHere } from '../../web/src/import/pipeline';
import { startBatchWriter } from '../../web/src/import/writer-client';
import { buildSegment, compactSearchIndex, nodeToIndexDoc, type IndexDoc } from '../../web/src/search/keyword-index';
import { terms } from '../../web/src/search/tokenize';
import { Corpus, importItems } from './corpus';

export interface IngestRequest {
  kind: 'ours' | 'minisearch';
  nodes: number;
  seed: number;
  batch: number;
  /** Also time IndexedDB variants (row counts, indexes, durability) on the sample batches: see `variants`. */
  variants?: boolean;
  /**
   * Ours: commit each batch on the import's writer worker (web/src/import/writer-client.ts), as the app does with 4
   * cores or more; false commits on this worker, as it does otherwise.
   */
  writer?: boolean;
  /** Ours: the database written (default 'cogzy-bench', which the query runs read). */
  database?: string;
}

export interface IngestResult {
  kind: 'ours' | 'minisearch';
  nodes: number;
  /** Time inside the engine: transactions (ours) or addAll (MiniSearch); generating text is excluded. */
  ingestMs: number;
  /** Ours: merging index segments; MiniSearch: JSON.stringify + one IndexedDB put. */
  finishMs: number;
  serializedBytes: number;
  /** Ours: where the time of a batch goes, measured on a sample of batches (see `breakdown`). */
  breakdown?: Breakdown;
  /** Ours: the batches committed on the writer worker. */
  writer?: boolean;
}

/** Milliseconds per 1,000 nodes, each part measured on its own over the same sample batches. */
export interface Breakdown {
  sampleBatches: number;
  /** Preparing a batch (dedupe, node rows, index segment) before its transaction, while the one before commits. */
  prepare: number;
  /** Then waiting for the batch before to commit (what the preparation did not hide). */
  commitWait: number;
  /** Each step inside commitImportBatch's transaction (from its trace), per 1,000 nodes over the whole run. */
  insideCommit: Record<string, number>;
  /** terms() over every field of every node: the tokenizer alone. */
  tokenize: number;
  /** buildSegment: tokenizing plus postings lists, varint encoding, lexicon and docs rows (pure CPU). */
  buildSegment: number;
  /** Node rows into chunks (JSON) plus their structuredClone, and the structuredClone of the segment rows. */
  cloneNodes: number;
  cloneIndexRows: number;
  /** A transaction writing only the node chunks (directory + data rows), in a scratch database. */
  txNodes: number;
  /** A transaction writing only the segment rows (bulkPut), in a scratch database. */
  txIndexRows: number;
  /** Rows per segment written. */
  indexRowsPerBatch: number;
  /** With `variants`: each IndexedDB variant alone, on the sample batches. */
  variants: Record<string, number>;
  /** IndexedDB requests (and transactions) per 1,000 nodes by method, during the timed ingest and the compaction. */
  requests?: Record<string, number>;
  compactionRequests?: Record<string, number>;
  /** Each step of the compaction (its trace), per 1,000 nodes. */
  compaction?: Record<string, number>;
}

/**
 * Counts the IndexedDB requests this worker makes, by method (every request is one round trip to the browser's
 * IndexedDB process, and the measured cost of a write is per request far more than per byte or per index).
 */
const requestCounter = { counting: false, counts: {} as Record<string, number> };
function countRequests(): void {
  const wrap = (proto: object, label: string, methods: readonly string[]): void => {
    for (const method of methods) {
      const original = (proto as Record<string, unknown>)[method];
      if (typeof original !== 'function') continue;
      (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]): unknown {
        if (requestCounter.counting) requestCounter.counts[`${label}.${method}`] = (requestCounter.counts[`${label}.${method}`] ?? 0) + 1;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  };
  wrap(IDBObjectStore.prototype, 'store', ['put', 'add', 'get', 'getAll', 'getAllKeys', 'getKey', 'count', 'delete', 'clear', 'openCursor', 'openKeyCursor']);
  wrap(IDBIndex.prototype, 'index', ['get', 'getAll', 'getAllKeys', 'getKey', 'count', 'openCursor', 'openKeyCursor']);
  wrap(IDBCursor.prototype, 'cursor', ['continue', 'advance', 'continuePrimaryKey']);
  wrap(IDBDatabase.prototype, 'db', ['transaction']);
}
countRequests();

const post = (message: unknown): void => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(message);

async function ours(request: IngestRequest, corpus: Corpus): Promise<IngestResult> {
  const db = await openVaultDatabase({ name: request.database ?? 'cogzy-bench', cache: 'disabled' });
  const writer = request.writer === true ? startBatchWriter(db.name, commitHere(db)) : null;
  if (request.writer === true && !writer) throw new Error('this worker cannot start the writer worker');
  const importId = await createImportRow(db, { fileName: 'bench.json', status: 'processing', bytes: 0, fileKey: 'bench', now: Date.now() });
  let ingestMs = performance.now();
  const known = await loadKnownIds(db);
  let at = await indexPosition(db);
  ingestMs = performance.now() - ingestMs;
  const scratch = await openVaultDatabase({ name: 'cogzy-bench-scratch', cache: 'disabled' });
  const parts = { sampleBatches: 0, prepare: 0, commitWait: 0, tokenize: 0, buildSegment: 0, cloneNodes: 0, cloneIndexRows: 0, txNodes: 0, txIndexRows: 0, indexRowsPerBatch: 0 };
  const steps: Record<string, number> = {};
  const trace = (step: string, ms: number): void => void (steps[step] = (steps[step] ?? 0) + ms);
  const batches = Math.ceil(request.nodes / request.batch);
  const generate = (from: number): ImportBatch => ({
    items: importItems(corpus, from, Math.min(request.nodes, from + request.batch)),
    progress: { bytesRead: 0, totalBytes: null, records: 0, conversations: 0, nodes: 0, duplicates: 0 },
    checkpoint: { records: 0 },
  });
  // As the import pipeline does: batch N+1 is prepared (numbered and indexed) while batch N commits. Generating
  // the text is not timed, and runs only while no commit is in flight.
  let inFlight: { prepared: PreparedBatch; commit: Promise<BatchCounts> } | null = null;
  requestCounter.counting = true;
  let batch = generate(0);
  for (let from = 0; from < request.nodes; from += request.batch) {
    let started = performance.now();
    const ahead = inFlight;
    const prepared = prepareImportBatch(batch, known, ahead ? ahead.prepared.next : at, ahead?.prepared.ids);
    const prepareMs = performance.now() - started;
    if (ahead) at = (await ahead.commit).indexAt;
    if (prepared.nodes.segment.at.nextDocId !== at.nextDocId || prepared.nodes.segment.at.nextSeg !== at.nextSeg) throw new Error('the index moved: nothing else writes here');
    const waitMs = performance.now() - started - prepareMs;
    ingestMs += performance.now() - started;
    inFlight = null;

    // Breakdown on every tenth batch (outside the timed ingest, nothing in flight): each part alone, on the same nodes.
    if ((from / request.batch) % 10 === 0 || batches < 10) {
      // Nothing of ours is in flight here: what the samples ask IndexedDB is not counted.
      requestCounter.counting = false;
      const items = batch.items;
      const factor = 1000 / items.reduce((n, item) => n + item.nodes.length, 0);
      const rows = items.flatMap((item) => item.nodes).map((node, i) => toNodeRow(node, from + i + 1));
      const docs: IndexDoc[] = rows.map((row) => nodeToIndexDoc(row));
      let t = performance.now();
      for (const doc of docs) {
        terms(doc.human);
        terms(doc.assistant);
        terms(doc.hidden);
      }
      const tokenize = performance.now() - t;
      t = performance.now();
      const segment = buildSegment(docs, 1 + from / request.batch).rows;
      const build = performance.now() - t;
      t = performance.now();
      const chunks = prepareChunks(rows);
      structuredClone(chunks);
      const cloneNodes = performance.now() - t;
      t = performance.now();
      structuredClone(segment);
      const cloneIndexRows = performance.now() - t;
      t = performance.now();
      await scratch.transaction('rw', [...NODE_TABLES], () => scratch.nodes.addPrepared(chunks));
      const txNodes = performance.now() - t;
      t = performance.now();
      await scratch.transaction('rw', scratch.searchIndex, () => scratch.searchIndex.bulkPut(segment));
      const txIndexRows = performance.now() - t;
      if (request.variants) await variants(rows, from);
      parts.sampleBatches += 1;
      parts.prepare += prepareMs * factor;
      parts.commitWait += waitMs * factor;
      parts.tokenize += tokenize * factor;
      parts.buildSegment += build * factor;
      parts.cloneNodes += cloneNodes * factor;
      parts.cloneIndexRows += cloneIndexRows * factor;
      parts.txNodes += txNodes * factor;
      parts.txIndexRows += txIndexRows * factor;
      parts.indexRowsPerBatch += segment.length;
      requestCounter.counting = true;
    }
    if ((from / request.batch) % 10 === 0) post({ type: 'progress', done: from + request.batch });
    const next = from + request.batch < request.nodes ? generate(from + request.batch) : null;

    started = performance.now();
    let issued = (): void => undefined;
    let writesIssued = new Promise<void>((resolve) => (issued = resolve));
    let commit: Promise<BatchCounts>;
    if (writer) {
      // The app's path: the transaction runs on the writer worker (its steps are not traced from here).
      ({ issued: writesIssued, done: commit } = writer.commit(importId, batch, { parseMs: 0, now: Date.now() }, known, prepared));
    } else {
      commit = commitImportBatch(db, importId, batch, { parseMs: 0, now: Date.now(), trace, writesIssued: issued }, known, prepared);
    }
    commit.catch(() => undefined); // awaited on the next turn
    inFlight = { prepared, commit };
    await Promise.race([writesIssued, commit.then(() => undefined)]);
    ingestMs += performance.now() - started;
    if (next) batch = next;
  }
  const last = inFlight as { commit: Promise<BatchCounts> } | null;
  if (last) {
    const started = performance.now();
    await last.commit;
    ingestMs += performance.now() - started;
  }
  writer?.close();
  scratch.close();
  await Dexie.delete('cogzy-bench-scratch');
  if (request.variants) {
    exp.close();
    await Dexie.delete('cogzy-bench-variants');
  }
  const n = Math.max(1, parts.sampleBatches);
  const perThousand = (ms: number): number => (ms / request.nodes) * 1000;
  const breakdown: Breakdown = {
    sampleBatches: parts.sampleBatches,
    prepare: parts.prepare / n,
    commitWait: parts.commitWait / n,
    tokenize: parts.tokenize / n,
    buildSegment: parts.buildSegment / n,
    cloneNodes: parts.cloneNodes / n,
    cloneIndexRows: parts.cloneIndexRows / n,
    txNodes: parts.txNodes / n,
    txIndexRows: parts.txIndexRows / n,
    indexRowsPerBatch: parts.indexRowsPerBatch / n,
    insideCommit: Object.fromEntries(Object.entries(steps).map(([step, ms]) => [step, perThousand(ms)])),
    variants: Object.fromEntries(Object.entries(variantTimes).map(([k, v]) => [k, v / n])),
  };
  const compactStarted = performance.now();
  requestCounter.counting = false;
  const ingestRequests = { ...requestCounter.counts };
  requestCounter.counting = true;
  requestCounter.counts = {};
  const compaction: Record<string, number> = {};
  await compactSearchIndex(db, { trace: (step, ms) => void (compaction[step] = (compaction[step] ?? 0) + (ms / request.nodes) * 1000) });
  requestCounter.counting = false;
  const compactRequests = requestCounter.counts;
  const finishMs = performance.now() - compactStarted;
  db.close();
  const per = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, (v / request.nodes) * 1000]));
  return { kind: 'ours', nodes: request.nodes, writer: writer !== null, ingestMs, finishMs, serializedBytes: 0, breakdown: { ...breakdown, requests: per(ingestRequests), compactionRequests: per(compactRequests), compaction } };
}

/**
 * IndexedDB variants on the same node rows, each its own transaction in a scratch database: what a write costs by
 * rows, indexes and durability. Measured: the cost is per request (row), far more than per index or per byte.
 */
const exp = new Dexie('cogzy-bench-variants', { chromeTransactionDurability: 'relaxed' });
exp.version(2).stores({
  plain: 'id',
  compound: 'id, [conversationId+ordinal]',
  full: 'id, [conversationId+ordinal], provider, createdAt, isActive',
  pending: 'key, seq',
  pendingNoIdx: 'key',
  chunks: 'id',
  // Node chunk rows as the vault stores them (database.ts v7 `nodeData`), then with fewer indexes.
  nodeData: 'id, &*ids, *conversationIds',
  nodeDataShared: 'id, *ids, *conversationIds',
  nodeDataConv: 'id, *conversationIds',
  nodeDataPk: 'id',
  // Conversation rows as the vault stores them (v5+), then by primary key only.
  conversations: 'id, provider, sortAt, titleKey, [provider+sortAt]',
  conversationsPk: 'id',
  // conversationRaws as the vault stores them (one row per conversation), and the same raws in one row.
  raws: 'id',
});
const variantTimes: Record<string, number> = {};
async function variants(rows: NodeRow[], from: number): Promise<void> {
  const time = async (name: string, work: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    await work();
    variantTimes[name] = (variantTimes[name] ?? 0) + performance.now() - t;
  };
  const tag = (r: NodeRow) => ({ ...r, id: `${r.id}` });
  await time('dexie bulkAdd full indexes', () => exp.transaction('rw', 'full', () => exp.table('full').bulkAdd(rows.map(tag))));
  await time('dexie bulkAdd [conv+ord] only', () => exp.transaction('rw', 'compound', () => exp.table('compound').bulkAdd(rows.map(tag))));
  await time('dexie bulkAdd pk only', () => exp.transaction('rw', 'plain', () => exp.table('plain').bulkAdd(rows.map(tag))));
  await time('dexie bulkPut 1000 pending (key, seq)', () => exp.transaction('rw', 'pending', () => exp.table('pending').bulkPut(rows.map((r, i) => ({ key: `node:${r.id}`, seq: from + i })))));
  await time('dexie bulkPut 1000 pending (key)', () => exp.transaction('rw', 'pendingNoIdx', () => exp.table('pendingNoIdx').bulkPut(rows.map((r, i) => ({ key: `node:${r.id}`, seq: from + i })))));
  await time('dexie put 1 row of 1000 keys', () => exp.transaction('rw', 'pendingNoIdx', () => exp.table('pendingNoIdx').put({ key: `batch:${from}`, keys: rows.map((r) => `node:${r.id}`) })));
  await time('dexie put 10 chunks of 100 nodes', () => exp.transaction('rw', 'chunks', () => exp.table('chunks').bulkPut(Array.from({ length: 10 }, (_, c) => ({ id: `${from}:${c}`, nodes: rows.slice(c * 100, c * 100 + 100) })))));
  // Chunk rows as db/node-store.ts writes them (JSON strings), by size: around Chromium's 64 KiB value threshold.
  for (const per of [100, 40, 20]) {
    const json = rows.map((r) => JSON.stringify(r));
    await time(`dexie put ${Math.ceil(rows.length / per)} JSON chunks of ${per} nodes`, () =>
      exp.transaction('rw', 'chunks', () => exp.table('chunks').bulkPut(Array.from({ length: Math.ceil(rows.length / per) }, (_, c) => ({ id: `j${per}:${from}:${c}`, nodes: json.slice(c * per, c * per + per) })))),
    );
  }
  // The vault's own chunk rows (prepareChunks: 8 nodes, JSON) by the indexes they carry.
  const chunks = prepareChunks(rows).map((row) => ({ ...row, id: row.id + from * 10 }));
  await time('chunk rows (8 nodes) &*ids, *conversationIds', () => exp.transaction('rw', 'nodeData', () => exp.table('nodeData').bulkAdd(chunks)));
  await time('chunk rows *ids (not unique), *conversationIds', () => exp.transaction('rw', 'nodeDataShared', () => exp.table('nodeDataShared').bulkAdd(chunks)));
  await time('chunk rows *conversationIds only', () => exp.transaction('rw', 'nodeDataConv', () => exp.table('nodeDataConv').bulkAdd(chunks)));
  await time('chunk rows primary key only', () => exp.transaction('rw', 'nodeDataPk', () => exp.table('nodeDataPk').bulkAdd(chunks)));
  const conversations = [...new Map(rows.map((r) => [r.conversationId, { id: `${from}:${r.conversationId}`, provider: r.provider, sortAt: r.createdAt ?? 0, titleKey: r.conversationId.slice(0, 12) }])).values()];
  await time(`${conversations.length} conversation rows, 4 indexes`, () => exp.transaction('rw', 'conversations', () => exp.table('conversations').bulkAdd(conversations)));
  await time(`${conversations.length} conversation rows, primary key only`, () => exp.transaction('rw', 'conversationsPk', () => exp.table('conversationsPk').bulkAdd(conversations)));
  const raws = conversations.map((c) => ({ id: c.id, raw: '{}' }));
  await time(`${raws.length} raw rows of '{}'`, () => exp.transaction('rw', 'raws', () => exp.table('raws').bulkPut(raws)));
  await time(`1 row of ${raws.length} raws of '{}'`, () => exp.transaction('rw', 'raws', () => exp.table('raws').put({ id: `all:${from}`, raws })));
  const idb = exp.backendDB();
  const raw = (store: string, list: unknown[], durability: IDBTransactionDurability) =>
    new Promise<void>((resolve, reject) => {
      const tx = idb.transaction([store], 'readwrite', { durability });
      const os = tx.objectStore(store);
      for (const row of list) os.put(row);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('variant transaction failed'));
    });
  await time('raw IDB put full indexes (relaxed)', () => raw('full', rows.map((r) => ({ ...r, id: `r${r.id}` })), 'relaxed'));
  await time('raw IDB put pk only (relaxed)', () => raw('plain', rows.map((r) => ({ ...r, id: `r${r.id}` })), 'relaxed'));
  await time('raw IDB put pk only (default)', () => raw('plain', rows.map((r) => ({ ...r, id: `d${r.id}` })), 'default'));
  await time('raw IDB put small rows pk only', () => raw('pendingNoIdx', rows.map((r) => ({ key: `s${r.id}`, seq: 1 })), 'relaxed'));
}

async function minisearch(request: IngestRequest, corpus: Corpus): Promise<IngestResult> {
  const index = new MiniSearch<{ id: string; human: string; assistant: string }>({ fields: ['human', 'assistant'], idField: 'id' });
  let ingestMs = 0;
  for (let from = 0; from < request.nodes; from += request.batch) {
    const docs = importItems(corpus, from, Math.min(request.nodes, from + request.batch)).flatMap((item) =>
      item.nodes.map((n) => ({ id: n.id, human: n.human.text, assistant: n.assistant?.text ?? '' })),
    );
    const started = performance.now();
    index.addAll(docs);
    ingestMs += performance.now() - started;
    if ((from / request.batch) % 10 === 0) post({ type: 'progress', done: from + request.batch });
  }
  const started = performance.now();
  const json = JSON.stringify(index);
  const db = new Dexie('cogzy-bench-minisearch');
  db.version(1).stores({ index: 'key' });
  await db.table('index').put({ key: 'index', json });
  const finishMs = performance.now() - started;
  db.close();
  return { kind: 'minisearch', nodes: request.nodes, ingestMs, finishMs, serializedBytes: json.length };
}

globalThis.addEventListener('message', (event: Event) => {
  const request = (event as MessageEvent<IngestRequest>).data;
  const corpus = new Corpus(request.seed);
  (request.kind === 'ours' ? ours(request, corpus) : minisearch(request, corpus))
    .then((result) => post({ type: 'done', result }))
    .catch((error: unknown) => post({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
});
