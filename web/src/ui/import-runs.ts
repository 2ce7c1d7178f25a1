/**
 * Imports started from this page, kept outside the views so leaving the Import page (to read or search while it
 * runs) and coming back shows the same progress. The import itself runs in the import worker (import/client.ts).
 */
import { createSignal } from 'solid-js';
import { startImport, type ImportRun } from '../import/client';
import type { ImportProgressMessage } from '../import/protocol';
import type { ImportRow } from '../db/database';
import { requestPersistentStorage } from '../vault/storage';
import { toAppError, type AppErrorData } from '../../../shared/errors';

export interface ActiveRun {
  readonly runId: string;
  readonly fileNames: readonly string[];
  /** The latest progress message (the file being read now). */
  readonly progress: ImportProgressMessage | null;
  readonly currentFile: string | null;
  readonly cancelling: boolean;
  readonly cancel: () => void;
}

export interface FinishedRun {
  readonly runId: string;
  readonly rows: readonly ImportRow[];
  readonly error: AppErrorData | null;
}

const [activeRuns, setActiveRuns] = createSignal<readonly ActiveRun[]>([]);
const [lastFinished, setLastFinished] = createSignal<FinishedRun | null>(null);

export { activeRuns, lastFinished };

function update(runId: string, change: (run: ActiveRun) => ActiveRun): void {
  setActiveRuns((runs) => runs.map((r) => (r.runId === runId ? change(r) : r)));
}

/** Something went wrong before an import could start (e.g. a shared file was lost): shown where results show. */
export function reportImportProblem(error: unknown): void {
  setLastFinished({ runId: 'not-started', rows: [], error: toAppError(error).toData() });
}

/** Starts importing `files` in the import worker; the promise settles when that run has ended (never rejects). */
export function importFiles(files: readonly File[]): Promise<void> {
  const names = files.map((f) => f.name);
  let run: ImportRun;
  try {
    run = startImport(files, {
      onFileStarted: (info) => update(run.runId, (r) => ({ ...r, currentFile: info.fileName, progress: null })),
      onProgress: (progress) => update(run.runId, (r) => ({ ...r, progress })),
    });
  } catch (error) {
    reportImportProblem(error);
    return Promise.resolve();
  }
  const entry: ActiveRun = {
    runId: run.runId,
    fileNames: names,
    progress: null,
    currentFile: names[0] ?? null,
    cancelling: false,
    cancel: () => {
      update(run.runId, (r) => ({ ...r, cancelling: true }));
      run.cancel();
    },
  };
  setActiveRuns((runs) => [...runs, entry]);
  setLastFinished(null);
  return run.done
    .then((rows) => {
      setLastFinished({ runId: run.runId, rows, error: null });
      // Once the vault holds something worth keeping, ask the browser not to evict it (Settings shows the answer).
      if (rows.some((r) => r.counts.created > 0)) void requestPersistentStorage().catch(() => undefined);
    })
    .catch((error: unknown) => {
      const data = toAppError(error).toData();
      // The page shows the sentence; the detail is for a bug report, in this device's console only.
      console.warn(`Import run failed: ${data.code}${data.detail ? ` (${data.detail})` : ''}`);
      setLastFinished({ runId: run.runId, rows: [], error: data });
    })
    .finally(() => setActiveRuns((runs) => runs.filter((r) => r.runId !== run.runId)));
}
