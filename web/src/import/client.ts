/**
 * Main-thread side of the import worker: the only way the UI starts an import.
 *
 *   startImport(files: readonly File[], handlers?: ImportHandlers): ImportRun
 *   interface ImportRun { runId: string; cancel(): void; done: Promise<ImportRow[]> }
 *
 * `done` resolves with the final import rows (one per file: status, counts, warnings, error) or rejects with an
 * AppError when the run itself could not start (e.g. storage unavailable). Progress arrives through the handlers.
 * One worker per run; it is ended once it says its work after the run (merging the index, its snapshot) is done, or
 * when the run fails. `done` resolves when the files are in, before that work.
 */
import { AppError } from '../../../shared/errors';
import type { ImportRow } from '../db/database';
import { notifyLocalChange } from '../sync/local-changes';
import { fromWorkerSchema, type ImportProgressMessage, type ToWorker } from './protocol';

export interface ImportHandlers {
  onFileStarted?: (info: { fileIndex: number; importId: number; fileName: string; bytes: number; resumedFromRecord: number | null }) => void;
  onProgress?: (progress: ImportProgressMessage) => void;
  onFileFinished?: (info: { fileIndex: number; importId: number; row: ImportRow }) => void;
}

export interface ImportRun {
  runId: string;
  cancel(): void;
  done: Promise<ImportRow[]>;
}

export function startImport(files: readonly File[], handlers: ImportHandlers = {}): ImportRun {
  const runId = crypto.randomUUID();
  const worker = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module', name: 'cogzy-import' });
  const send = (message: ToWorker): void => worker.postMessage(message);
  const done = new Promise<ImportRow[]>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      const parsed = fromWorkerSchema.safeParse(event.data);
      if (!parsed.success) {
        worker.terminate();
        reject(new AppError('INTERNAL', { detail: `bad message from import worker: ${parsed.error.message}` }));
        return;
      }
      const message = parsed.data;
      if (message.runId !== runId) return;
      switch (message.type) {
        case 'file-started':
          handlers.onFileStarted?.(message);
          break;
        case 'progress':
          handlers.onProgress?.(message);
          break;
        case 'file-finished':
          // The worker marked what it wrote pending (C21); the scheduler pushes it.
          notifyLocalChange('import');
          handlers.onFileFinished?.({ fileIndex: message.fileIndex, importId: message.importId, row: message.row });
          break;
        case 'run-finished':
          // Searchable now; the worker goes on merging the index and saving its snapshot (ended at run-closed).
          resolve(message.rows);
          break;
        case 'run-closed':
          worker.terminate();
          break;
        case 'run-failed':
          worker.terminate();
          reject(AppError.fromData(message.error));
          break;
      }
    });
    worker.addEventListener('error', (event) => {
      worker.terminate();
      reject(new AppError('INTERNAL', { detail: `import worker failed: ${event.message}` }));
    });
  });
  send({ type: 'start', runId, files: [...files] });
  return { runId, cancel: () => send({ type: 'cancel', runId }), done };
}
