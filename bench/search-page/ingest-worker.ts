/**
 * Benchmark worker: writes the synthetic vault the way the import worker does (commitImportBatch: nodes, keyword
 * index segment and import row in one transaction per batch, then compaction), or builds the MiniSearch baseline
 * over the same exchanges and persists it as the app would have to (one serialised index in IndexedDB).
 */
import Dexie from 'dexie';
import MiniSearch from 'minisearch';
import { openVaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow, loadKnownNodeIds } from '../../web/src/db/import-writes';
import { compactSearchIndex } from '../../web/src/search/keyword-index';
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
}

const post = (message: unknown): void => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(message);

async function ours(request: IngestRequest, corpus: Corpus): Promise<IngestResult> {
  const db = await openVaultDatabase({ name: 'cogzy-bench', cache: 'disabled' });
  const importId = await createImportRow(db, { fileName: 'bench.json', status: 'processing', bytes: 0, fileKey: 'bench', now: Date.now() });
  let ingestMs = performance.now();
  const known = await loadKnownNodeIds(db);
  ingestMs = performance.now() - ingestMs;
  for (let from = 0; from < request.nodes; from += request.batch) {
    const items = importItems(corpus, from, Math.min(request.nodes, from + request.batch));
    const batch = { items, progress: { bytesRead: 0, totalBytes: null, records: 0, conversations: 0, nodes: 0, duplicates: 0 }, checkpoint: { records: 0 } };
    const started = performance.now();
    await commitImportBatch(db, importId, batch, { parseMs: 0, now: Date.now() }, known);
    ingestMs += performance.now() - started;
    if ((from / request.batch) % 10 === 0) post({ type: 'progress', done: from + request.batch });
  }
  const compactStarted = performance.now();
  await compactSearchIndex(db);
  const finishMs = performance.now() - compactStarted;
  db.close();
  return { kind: 'ours', nodes: request.nodes, ingestMs, finishMs, serializedBytes: 0 };
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
