/**
 * The import Web Worker (module worker): a thin shell that validates messages, runs the import pipeline over the
 * picked files and posts typed progress back. It owns the writes, so the page never blocks on IndexedDB.
 * Start it with `new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module' })` (client.ts does).
 */
import { AppError, toAppError } from '../../../shared/errors';
import { importExport } from '../../../shared/import';
import { openVaultDatabase, type ImportRow, type VaultDatabase } from '../db/database';
import { COMPACT_AFTER_SEGMENTS } from '../search/index-compaction';
import { compactSearchIndex, writeWarmSnapshot } from '../search/keyword-index';
import { commitHere, runImportPipeline } from './pipeline';
import { batchWriterPays, startBatchWriter } from './writer-client';
import { fromWorkerSchema, IMPORT_LOCK_NAME, toWorkerSchema, type FromWorker } from './protocol';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
const runs = new Map<string, AbortController>();
let database: Promise<VaultDatabase> | null = null;

function post(message: FromWorker): void {
  // Validate outgoing messages too: the page trusts what passes this point.
  scope.postMessage(fromWorkerSchema.parse(message));
}

async function run(runId: string, files: File[], controller: AbortController): Promise<void> {
  // A failed open is not kept: the next import tries again (e.g. after the person freed disk space or closed an old tab).
  database ??= openVaultDatabase({ cache: 'disabled' }).catch((error: unknown) => {
    database = null;
    throw error;
  });
  const db = await database;
  let rows: ImportRow[] = [];
  const work = async (): Promise<void> => {
    // With a core to spare, batches commit on a writer worker of their own; otherwise (or where a worker cannot
    // start one) here.
    const writer = batchWriterPays() ? startBatchWriter(db.name, commitHere(db)) : null;
    try {
      rows = await runImportPipeline(db, files, {
        importer: importExport,
        signal: controller.signal,
        onEvent: (event) => post({ ...event, runId }),
        ...(writer ? { commit: writer.commit } : {}),
        compactAtEnd: false,
      });
      post({ type: 'run-finished', runId, rows });
    } finally {
      writer?.close();
    }
  };
  // The lock tells other tabs this run is alive, so their start-up does not mark it interrupted.
  if ('locks' in navigator) await navigator.locks.request(IMPORT_LOCK_NAME, work);
  else await work();
  // Searchable already, and the lock is free for the next run (merging is safe beside it: each part in a transaction
  // of its own). Merging the segments the run wrote makes queries cheaper; then the index as one Blob, so the next
  // search session reads it in one request. A failure here costs nothing the person sees (the next import or pull
  // merges them; a session without a snapshot reads the rows one by one), so it is logged, not reported. The page
  // ends this worker when it says run-closed, not before (it used to end it at run-finished, which cut the merge).
  if (!rows.some((row) => row.counts.created > 0)) return;
  try {
    await compactSearchIndex(db, { minSegments: COMPACT_AFTER_SEGMENTS });
    if (!controller.signal.aborted) await writeWarmSnapshot(() => db.searchIndex, () => db.warmSnapshots);
  } catch (error: unknown) {
    const appError = toAppError(error);
    console.warn(`Merging the search index after the import, or saving its snapshot, failed: ${appError.code} ${appError.detail ?? ''}`);
  }
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toWorkerSchema.safeParse(event.data);
  if (!parsed.success) {
    const runId = typeof event.data === 'object' && event.data !== null && 'runId' in event.data ? String(event.data.runId) : '';
    post({ type: 'run-failed', runId, error: new AppError('BAD_REQUEST', { detail: parsed.error.message }).toData() });
    return;
  }
  const message = parsed.data;
  if (message.type === 'cancel') {
    runs.get(message.runId)?.abort();
    return;
  }
  const controller = new AbortController();
  runs.set(message.runId, controller);
  run(message.runId, message.files, controller)
    .then(() => post({ type: 'run-closed', runId: message.runId }))
    .catch((error: unknown) => post({ type: 'run-failed', runId: message.runId, error: toAppError(error).toData() }))
    .finally(() => runs.delete(message.runId));
});
