/**
 * Both ends of the import's batch writer. The import worker's end is a CommitBatch that runs each batch's
 * transaction on the writer's thread (writer-worker.ts); the writer's end applies them. They talk over any
 * MessagePort-like pair (the worker, or a MessageChannel in node tests) in the messages of writer-protocol.ts.
 *
 *   batchWriterPays(cores?): boolean                            // only with a core to spare (measured slower on 2)
 *   startBatchWriter(database, fallback): BatchWriter | null   // a writer worker; null where a worker cannot start one
 *   connectBatchWriter(port, database): BatchWriter             // the import worker's end over a port
 *   fallingBack(writer, fallback)                                // commits on `fallback` when the writer never worked
 *   (the writer's end is serveBatchWriter in writer-serve.ts)
 */
import { AppError } from '../../../shared/errors';
import { knownConversationKey, type BatchCounts } from '../db/import-writes';
import type { BatchCommit, CommitBatch } from './pipeline';
import { fromWriterSchema, type ToWriter, type WriterPort } from './writer-protocol';

export interface BatchWriter {
  readonly commit: CommitBatch;
  close(): void;
}

interface Pending {
  done: (counts: BatchCounts) => void;
  fail: (error: AppError) => void;
  known: Set<string>;
}

/**
 * Whether an import should commit on a writer worker here: only with a core to spare for it. Measured on 2 cores
 * (`BENCH_ONLY=ingest npm run bench -- search`, 100k exchanges, quiet machine): the writer made ingest slower, 0.90x
 * of commits on the import worker, because the import worker, the writer and the browser's IndexedDB thread then
 * share two cores, and the batches are cloned to the writer. Four cores or more were not available to measure.
 */
export function batchWriterPays(cores: number = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency): boolean {
  return cores >= 4;
}

export function startBatchWriter(database: string, fallback: CommitBatch): BatchWriter | null {
  if (typeof Worker === 'undefined') return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./writer-worker.ts', import.meta.url), { type: 'module', name: 'cogzy-import-writer' });
  } catch {
    return null;
  }
  const writer = fallingBack(connectBatchWriter(worker, database), fallback);
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    writer.lost(new AppError('IMPORT_WRITER_FAILED', { detail: event.message || 'the writer worker failed to start' }));
  });
  return {
    commit: writer.commit,
    close: () => {
      writer.close();
      worker.terminate();
    },
  };
}

/**
 * A writer that hands its batches to `fallback` (commits on the calling thread) when it is lost before it ever
 * answered: a browser that cannot run it (no nested module workers, a blocked script) imports on one thread
 * instead of failing every time. A batch it never answered was never applied (a worker that dies takes its open
 * transaction with it), so it is committed again there. Once it has answered, losing it fails the import.
 */
export function fallingBack(writer: BatchWriter & { fail(error: AppError): void }, fallback: CommitBatch): BatchWriter & { lost(error: AppError): void } {
  let answered = false;
  let lost = false;
  const commit: CommitBatch = (importId, batch, timing, known, prepared) => {
    if (lost && !answered) return fallback(importId, batch, timing, known, prepared);
    const remote = writer.commit(importId, batch, timing, known, prepared);
    const done = remote.done.then(
      (counts) => {
        answered = true;
        return counts;
      },
      (error: unknown) => {
        if (lost && !answered) return fallback(importId, batch, timing, known, prepared).done;
        throw error;
      },
    );
    return { issued: remote.issued, done };
  };
  return {
    commit,
    close: () => writer.close(),
    lost: (error) => {
      lost = true;
      writer.fail(error);
    },
  };
}

export function connectBatchWriter(port: WriterPort, database: string): BatchWriter & { fail(error: AppError): void } {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let broken: AppError | null = null;
  const fail = (error: AppError): void => {
    broken ??= error;
    for (const waiting of pending.values()) waiting.fail(error);
    pending.clear();
  };
  port.addEventListener('message', (event: MessageEvent<unknown>) => {
    const parsed = fromWriterSchema.safeParse(event.data);
    if (!parsed.success) {
      fail(new AppError('IMPORT_WRITER_FAILED', { detail: `unexpected message from the writer: ${parsed.error.message}` }));
      return;
    }
    const message = parsed.data;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.type === 'failed') {
      waiting.fail(AppError.fromData(message.error));
      return;
    }
    // As commitImportBatch does on its own thread: only a committed batch counts as stored.
    for (const id of message.added) waiting.known.add(id);
    waiting.done(message.counts);
  });
  port.addEventListener('messageerror', () => fail(new AppError('IMPORT_WRITER_FAILED', { detail: 'a message from the writer could not be read' })));

  // `issued` at once: the transaction's reads and requests run on the writer's thread, so this one can go on
  // parsing and indexing the next batch right away (the pipeline still waits for `done` before the one after).
  const commit: CommitBatch = (importId, batch, timing, known, prepared): BatchCommit => {
    if (broken) return { issued: Promise.resolve(), done: Promise.reject(broken) };
    const id = nextId++;
    const done = new Promise<BatchCounts>((resolve, reject) => {
      pending.set(id, { done: resolve, fail: reject, known });
    });
    const ids: string[] = [];
    for (const item of batch.items) {
      const key = knownConversationKey(item.conversation.id);
      if (known.has(key)) ids.push(key);
      for (const node of item.nodes) if (known.has(node.id)) ids.push(node.id);
    }
    // The node rows are the batch's own nodes: the writer numbers them again rather than receive each twice.
    const wire = { rowIds: prepared.nodes.rows.map((row) => row.id), segment: prepared.nodes.segment, next: prepared.next };
    const message: ToWriter = { type: 'commit', id, database, importId, batch, prepared: wire, timing, known: ids };
    try {
      port.postMessage(message);
    } catch (error) {
      pending.delete(id);
      return { issued: Promise.resolve(), done: Promise.reject(new AppError('IMPORT_WRITER_FAILED', { detail: String(error), cause: error })) };
    }
    return { issued: Promise.resolve(), done };
  };
  return { commit, fail, close: () => fail(new AppError('IMPORT_CANCELLED', { detail: 'the import run ended' })) };
}
