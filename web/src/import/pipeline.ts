/**
 * The import pipeline: files -> shared importer (streaming parse, identity, dedupe) -> one Dexie transaction per
 * batch. It runs inside the import Web Worker (import-worker.ts is a thin shell over it) and in node tests on
 * fake-indexeddb, unchanged. With 4 cores or more the browser runs the transactions on a second worker (the batch
 * writer, writer-client.ts), so parsing and indexing batch N+1 and committing batch N overlap on separate cores.
 *
 *   runImportPipeline(db: VaultDatabase, files: readonly ImportFileInput[], options: PipelineOptions): Promise<ImportRow[]>
 *   fileKeyOf(file: ImportFileInput, digest?: Digest): Promise<string>
 *   sha256: Digest
 *   commitHere(db): CommitBatch         // a batch's transaction on this thread (the default; see writer-client.ts)
 *
 * Several files run one after another, each with its own import row (created up front as 'pending'). A file that
 * was imported before and stopped early (interrupted or cancelled) continues from its checkpoint when picked again;
 * content-hash dedupe makes any overlap harmless. Cancel stops before the next batch is committed: every committed
 * batch is whole conversations, so the vault stays consistent.
 */
import { AppError, toAppError } from '../../../shared/errors';
import type { Digest, ImportBatch, ImportLimits, ImportOptions, ImportReport, ImportSource } from '../../../shared/import';
import { toHex } from '../../../shared/sync/hash';

import type { ImportRow, VaultDatabase } from '../db/database';
import {
  commitImportBatch,
  createImportRow,
  failImport,
  finishImport,
  indexPosition,
  loadKnownIds,
  prepareImportBatch,
  reopenImport,
  resumableImport,
  type BatchCounts,
  type PreparedBatch,
} from '../db/import-writes';
import { compactSearchIndex } from '../search/keyword-index';
import { COMPACT_AFTER_SEGMENTS } from '../search/index-compaction';

export interface ImportFileInput {
  readonly name: string;
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
}

/** The shared importer's entry point (shared/import/index.ts `importExport`). */
export type Importer = (source: ImportSource, options: ImportOptions) => AsyncGenerator<ImportBatch, ImportReport, void>;

export type PipelineEvent =
  | { type: 'file-started'; fileIndex: number; importId: number; fileName: string; bytes: number; resumedFromRecord: number | null }
  | {
      type: 'progress';
      fileIndex: number;
      importId: number;
      bytesRead: number;
      totalBytes: number;
      conversations: number;
      nodes: number;
      duplicates: number;
      /** Estimated time left for this file, null until there is a rate to go by. */
      etaMs: number | null;
    }
  | { type: 'file-finished'; fileIndex: number; importId: number; row: ImportRow };

export interface PipelineOptions {
  importer: Importer;
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
  now?: () => number;
  digest?: Digest;
  /** Conversations per importer batch (the importer's default when absent). */
  batchSize?: number;
  /** Importer safety limits (the importer's defaults when absent). */
  limits?: Partial<ImportLimits>;
  /**
   * Runs a batch's transaction (default: commitImportBatch on this thread). The import worker passes its batch
   * writer's (writer-client.ts), which runs it on a thread of its own.
   */
  commit?: CommitBatch;
  /**
   * Merge the keyword index's segments before returning (default true). The import worker says false and merges
   * after it has told the page the import is done: the vault is searchable before the merge, which only makes
   * queries cheaper, and on a 100k-exchange import it took seconds.
   */
  compactAtEnd?: boolean;
}

/** A batch's commit under way: `issued` once every write is requested, `done` once it committed. */
export interface BatchCommit {
  issued: Promise<void>;
  done: Promise<BatchCounts>;
}

/**
 * Commits one prepared batch (commitImportBatch's contract): `known` is the run's set of stored node ids, which the
 * commit extends with what it stored once committed.
 */
export type CommitBatch = (importId: number, batch: ImportBatch, timing: { parseMs: number; now: number }, known: Set<string>, prepared: PreparedBatch) => BatchCommit;

/** commitImportBatch on this thread. */
export function commitHere(db: VaultDatabase): CommitBatch {
  return (importId, batch, timing, known, prepared) => {
    let issued = (): void => undefined;
    const writesIssued = new Promise<void>((resolve) => (issued = resolve));
    const done = commitImportBatch(db, importId, batch, { ...timing, writesIssued: issued }, known, prepared);
    return { issued: writesIssued, done };
  };
}

export const sha256: Digest = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

const FILE_KEY_HEAD_BYTES = 1024 * 1024;
/** During a long import, merge every this many batches so searching while it runs stays quick. */
const COMPACT_EVERY_BATCHES = 64;
/** Bytes-read progress is sent at most this often (each message re-renders the page). */
const PROGRESS_EVERY_MS = 150;
/** No time-left estimate before this much of the run: the first chunks arrive too fast to go by. */
const ETA_AFTER_MS = 500;

/** Size + SHA-256 of the first MiB: the same file picked again (even renamed) gets the same key, cheaply. */
export async function fileKeyOf(file: ImportFileInput, digest: Digest = sha256): Promise<string> {
  const reader = file.stream().getReader();
  const head = new Uint8Array(Math.min(file.size, FILE_KEY_HEAD_BYTES));
  let filled = 0;
  try {
    while (filled < head.length) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, head.length - filled);
      head.set(value.subarray(0, take), filled);
      filled += take;
    }
  } catch (error) {
    throw new AppError('IMPORT_READ_FAILED', { detail: String(error), cause: error });
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return `${file.size}:${toHex(await digest(head.subarray(0, filled)))}`;
}

export async function runImportPipeline(db: VaultDatabase, files: readonly ImportFileInput[], options: PipelineOptions): Promise<ImportRow[]> {
  const now = options.now ?? (() => Date.now());
  const digest = options.digest ?? sha256;
  const emit = options.onEvent ?? (() => undefined);

  // Rows for every file first, so the history shows the whole run as queued.
  const queued: { file: ImportFileInput; importId: number; skipRecords: number | null }[] = [];
  for (const file of files) {
    const fileKey = await fileKeyOf(file, digest);
    const previous = await resumableImport(db, fileKey);
    if (previous && !queued.some((q) => q.importId === previous.id)) {
      await reopenImport(db, previous.id, 'pending', now());
      queued.push({ file, importId: previous.id, skipRecords: checkpointRecords(previous.checkpoint) });
    } else {
      queued.push({ file, importId: await createImportRow(db, { fileName: file.name, bytes: file.size, fileKey, status: 'pending', now: now() }), skipRecords: null });
    }
  }

  const results: ImportRow[] = [];
  const known = await loadKnownIds(db);
  let created = 0;
  for (const [fileIndex, item] of queued.entries()) {
    if (options.signal?.aborted) {
      results.push(await failImport(db, item.importId, new AppError('IMPORT_CANCELLED').toData(), now()));
      emit({ type: 'file-finished', fileIndex, importId: item.importId, row: results[results.length - 1] as ImportRow });
      continue;
    }
    const row = await importOne(db, item, fileIndex, known, { ...options, now, digest, emit });
    created += row.counts.created;
    results.push(row);
    emit({ type: 'file-finished', fileIndex, importId: item.importId, row });
  }
  // Merge once enough segments piled up; a small import into a big vault leaves its one segment for later rather
  // than rewriting the whole index.
  if (created > 0 && options.compactAtEnd !== false) await compactSearchIndex(db, { minSegments: COMPACT_AFTER_SEGMENTS });
  return results;
}

const noop = (): void => undefined;

function checkpointRecords(checkpoint: unknown): number | null {
  if (typeof checkpoint === 'object' && checkpoint !== null && 'records' in checkpoint) {
    const records = (checkpoint).records;
    if (typeof records === 'number' && Number.isInteger(records) && records >= 0) return records;
  }
  return null;
}

async function importOne(
  db: VaultDatabase,
  item: { file: ImportFileInput; importId: number; skipRecords: number | null },
  fileIndex: number,
  known: Set<string>,
  options: PipelineOptions & { now: () => number; digest: Digest; emit: (event: PipelineEvent) => void },
): Promise<ImportRow> {
  const { file, importId } = item;
  const { now, emit } = options;
  const commitBatch = options.commit ?? commitHere(db);
  await reopenImport(db, importId, 'processing', now());
  emit({ type: 'file-started', fileIndex, importId, fileName: file.name, bytes: file.size, resumedFromRecord: item.skipRecords });
  // Our own controller: stops the importer when a write fails, as well as when the person cancels.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const started = now();
  // Ids of the batch still committing: new to the vault, but not to this run.
  let committing: ReadonlySet<string> = new Set();
  const importerOptions: ImportOptions = {
    digest: options.digest,
    now,
    signal: controller.signal,
    isKnown: (ids) => Promise.resolve(ids.map((id) => known.has(id) || committing.has(id))),
    ...(item.skipRecords !== null ? { skipRecords: item.skipRecords } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  };
  // Counts from the last committed batch; bytes as they are read, so the bar moves from the first chunk on (a
  // whole export is often one batch, which used to leave the bar empty until the end).
  let shown = { conversations: 0, nodes: 0, duplicates: 0 };
  let bytesRead = 0;
  let lastReport = 0;
  const report = (force: boolean): void => {
    const at = performance.now();
    if (!force && at - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = at;
    const elapsed = Math.max(1, now() - started);
    const rate = bytesRead / elapsed;
    const totalBytes = file.size;
    emit({
      type: 'progress',
      fileIndex,
      importId,
      bytesRead: Math.min(bytesRead, totalBytes),
      totalBytes,
      ...shown,
      etaMs: rate > 0 && elapsed >= ETA_AFTER_MS ? Math.max(0, (totalBytes - bytesRead) / rate) : null,
    });
  };
  const counted = (): ReadableStream<Uint8Array> => {
    // A second pass over the file (HTML in a zip) counts from where the first one ended, capped at the size.
    let passRead = 0;
    return file.stream().pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          passRead += chunk.length;
          bytesRead = Math.max(bytesRead, passRead);
          controller.enqueue(chunk);
          report(false);
        },
      }),
    );
  };
  const source: ImportSource = { name: file.name, size: file.size, stream: counted };
  const batches = options.importer(source, importerOptions);
  // A batch that arrives after cancel is not written; the importer then ends with its own 'cancelled' report.
  let dropped = false;
  let committed = 0;
  // Parsing and indexing batch N+1 (CPU in this worker) overlap the commit of batch N (IndexedDB's own process):
  // one batch is in flight at a time, and the next is prepared for the index position it will leave.
  let inFlight: { batch: ImportBatch; prepared: PreparedBatch; commit: Promise<BatchCounts> } | null = null;
  let at = await indexPosition(db);
  const settle = async (): Promise<void> => {
    if (!inFlight) return;
    const { batch, commit } = inFlight;
    const counts = await commit;
    inFlight = null;
    committing = new Set();
    at = counts.indexAt;
    if (++committed % COMPACT_EVERY_BATCHES === 0) {
      await compactSearchIndex(db, { minSegments: COMPACT_AFTER_SEGMENTS });
      at = await indexPosition(db);
    }
    shown = { conversations: batch.progress.conversations, nodes: batch.progress.nodes, duplicates: batch.progress.duplicates };
    report(true);
  };
  try {
    let parseStarted = performance.now();
    for (;;) {
      const step = await batches.next();
      const parseMs = performance.now() - parseStarted;
      if (step.done) {
        await settle();
        if (dropped || (options.signal?.aborted && step.value.status === 'complete')) {
          return await failImport(db, importId, new AppError('IMPORT_CANCELLED').toData(), now());
        }
        return await finishImport(db, importId, step.value, now());
      }
      if (controller.signal.aborted) {
        dropped = true;
        continue;
      }
      const batch = step.value;
      const ahead = inFlight as { prepared: PreparedBatch } | null;
      let prepared = prepareImportBatch(batch, known, ahead ? ahead.prepared.next : at, ahead?.prepared.ids);
      const expected = prepared.nodes.segment.at;
      await settle();
      // The batch before did not leave the index where it was expected to (something else wrote): prepare again.
      if (expected.nextDocId !== at.nextDocId || expected.nextSeg !== at.nextSeg) prepared = prepareImportBatch(batch, known, at);
      if (controller.signal.aborted) {
        dropped = true;
        continue;
      }
      const { issued, done: commit } = commitBatch(importId, batch, { parseMs, now: now() }, known, prepared);
      commit.catch(() => undefined); // awaited by settle(); must not count as unhandled while the next batch parses
      inFlight = { batch, prepared, commit };
      committing = prepared.ids;
      // Parse the next batch once this one's writes are all requested (on this thread, its reads need it first).
      await Promise.race([issued, commit.then(noop, noop)]);
      parseStarted = performance.now();
    }
  } catch (error) {
    controller.abort();
    const appError = options.signal?.aborted ? new AppError('IMPORT_CANCELLED', { cause: error }) : toAppError(error);
    return failImport(db, importId, appError.toData(), now());
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
