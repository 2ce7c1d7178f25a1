/**
 * Benchmark worker: writes the synthetic vault the way the import worker does (commitImportBatch: nodes, keyword
 * index segment and import row in one transaction per batch, then compaction), or builds the MiniSearch baseline
 * over the same exchanges and persists it as the app would have to (one serialised index in IndexedDB).
 */
import Dexie from 'dexie';
import MiniSearch from 'minisearch';
import { openVaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow, loadKnownNodeIds } from '../../web/src/db/import-writes';
import { toNodeRow } from '../../web/src/db/vault-writes';
import { buildSegment, compactSearchIndex, nodeToIndexDoc, type IndexDoc } from '../../web/src/search/keyword-index';
import { terms } from '../../web/src/search/tokenize';
import { Corpus, importItems } from './corpus';

export interface IngestRequest {
  kind: 'ours' | 'minisearch';
  nodes: number;
  seed: number;
  batch: number;
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
}

/** Milliseconds per 1,000 nodes, each part measured on its own over the same sample batches. */
export interface Breakdown {
  sampleBatches: number;
  /** The real commitImportBatch (one transaction: nodes, conversations, index segment, import row). */
  commit: number;
  /** terms() over every field of every node: the tokenizer alone. */
  tokenize: number;
  /** buildSegment: tokenizing plus postings lists, varint encoding, lexicon and docs rows (pure CPU). */
  buildSegment: number;
  /** structuredClone of the node rows and of the segment rows: the serialisation IndexedDB performs on put. */
  cloneNodes: number;
  cloneIndexRows: number;
  /** A transaction writing only the node rows (bulkAdd, with the table's secondary indexes), in a scratch database. */
  txNodes: number;
  /** A transaction writing only the segment rows (bulkPut), in a scratch database. */
  txIndexRows: number;
  /** Rows per segment written. */
  indexRowsPerBatch: number;
}

const post = (message: unknown): void => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(message);

async function ours(request: IngestRequest, corpus: Corpus): Promise<IngestResult> {
  const db = await openVaultDatabase({ name: 'cogzy-bench', cache: 'disabled' });
  const importId = await createImportRow(db, { fileName: 'bench.json', status: 'processing', bytes: 0, fileKey: 'bench', now: Date.now() });
  let ingestMs = performance.now();
  const known = await loadKnownNodeIds(db);
  ingestMs = performance.now() - ingestMs;
  const scratch = await openVaultDatabase({ name: 'cogzy-bench-scratch', cache: 'disabled' });
  const parts = { sampleBatches: 0, commit: 0, tokenize: 0, buildSegment: 0, cloneNodes: 0, cloneIndexRows: 0, txNodes: 0, txIndexRows: 0, indexRowsPerBatch: 0 };
  const batches = Math.ceil(request.nodes / request.batch);
  for (let from = 0; from < request.nodes; from += request.batch) {
    const items = importItems(corpus, from, Math.min(request.nodes, from + request.batch));
    const batch = { items, progress: { bytesRead: 0, totalBytes: null, records: 0, conversations: 0, nodes: 0, duplicates: 0 }, checkpoint: { records: 0 } };
    const started = performance.now();
    await commitImportBatch(db, importId, batch, { parseMs: 0, now: Date.now() }, known);
    const commitMs = performance.now() - started;
    ingestMs += commitMs;
    // Breakdown on every tenth batch (outside the timed ingest): each part alone, on the same nodes.
    if ((from / request.batch) % 10 === 0 || batches < 10) {
      const factor = 1000 / items.reduce((n, item) => n + item.nodes.length, 0);
      const rows = items.flatMap((item) => item.nodes).map((node, i) => toNodeRow(node, from + i + 1));
      const docs: IndexDoc[] = rows.map(nodeToIndexDoc);
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
      structuredClone(rows);
      const cloneNodes = performance.now() - t;
      t = performance.now();
      structuredClone(segment);
      const cloneIndexRows = performance.now() - t;
      t = performance.now();
      await scratch.transaction('rw', scratch.nodes, () => scratch.nodes.bulkAdd(rows));
      const txNodes = performance.now() - t;
      t = performance.now();
      await scratch.transaction('rw', scratch.searchIndex, () => scratch.searchIndex.bulkPut(segment));
      const txIndexRows = performance.now() - t;
      parts.sampleBatches += 1;
      parts.commit += commitMs * factor;
      parts.tokenize += tokenize * factor;
      parts.buildSegment += build * factor;
      parts.cloneNodes += cloneNodes * factor;
      parts.cloneIndexRows += cloneIndexRows * factor;
      parts.txNodes += txNodes * factor;
      parts.txIndexRows += txIndexRows * factor;
      parts.indexRowsPerBatch += segment.length;
    }
    if ((from / request.batch) % 10 === 0) post({ type: 'progress', done: from + request.batch });
  }
  scratch.close();
  await Dexie.delete('cogzy-bench-scratch');
  const n = Math.max(1, parts.sampleBatches);
  const breakdown: Breakdown = {
    sampleBatches: parts.sampleBatches,
    commit: parts.commit / n,
    tokenize: parts.tokenize / n,
    buildSegment: parts.buildSegment / n,
    cloneNodes: parts.cloneNodes / n,
    cloneIndexRows: parts.cloneIndexRows / n,
    txNodes: parts.txNodes / n,
    txIndexRows: parts.txIndexRows / n,
    indexRowsPerBatch: parts.indexRowsPerBatch / n,
  };
  const compactStarted = performance.now();
  await compactSearchIndex(db);
  const finishMs = performance.now() - compactStarted;
  db.close();
  return { kind: 'ours', nodes: request.nodes, ingestMs, finishMs, serializedBytes: 0, breakdown };
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
