/**
 * Files the operating system hands to the installed app. Both ways end in an ordinary import on the Import page:
 * - "Open with Cogzy Vault" on an export (manifest `file_handlers`): the browser queues the opened files on
 *   `window.launchQueue` (Chromium desktop);
 * - Android's share sheet (manifest `share_target`): the service worker (public/share-target-sw.js) receives the
 *   shared files, keeps them in Cache Storage and opens `#/import?shared=<batch>`; they are taken from there, and
 *   removed once their import has ended.
 *
 *   startLaunchHandling(importFiles: (files: File[]) => Promise<void>): void   // once, at startup
 */
import { AppError } from '../../../shared/errors';
import { reportImportProblem } from '../ui/import-runs';
import { navigate } from '../ui/router';

const SHARED_CACHE = 'cogzy-shared-files';

/** The parts of the File Handling API used here (not yet in TypeScript's DOM library). */
interface LaunchParamsLike {
  readonly files?: readonly FileSystemHandle[];
}
interface LaunchQueueLike {
  setConsumer(consumer: (params: LaunchParamsLike) => unknown): void;
}

function launchQueue(): LaunchQueueLike | null {
  const queue: unknown = Reflect.get(window, 'launchQueue');
  return typeof queue === 'object' && queue !== null && typeof Reflect.get(queue, 'setConsumer') === 'function' ? (queue as LaunchQueueLike) : null;
}

async function filesFromHandles(handles: readonly FileSystemHandle[]): Promise<File[]> {
  const files: File[] = [];
  for (const handle of handles) if (handle.kind === 'file') files.push(await (handle as FileSystemFileHandle).getFile());
  return files;
}

/** The shared batch's files, in the order they were shared, with the cache entries that hold them. */
async function sharedFiles(batch: string): Promise<{ files: File[]; entries: Request[] }> {
  const cache = await caches.open(SHARED_CACHE);
  const prefix = new URL(`__shared__/${batch}/`, document.baseURI).href;
  const entries = (await cache.keys()).filter((request) => request.url.startsWith(prefix));
  entries.sort((a, b) => Number(a.url.slice(prefix.length)) - Number(b.url.slice(prefix.length)));
  const files: File[] = [];
  for (const request of entries) {
    const response = await cache.match(request);
    if (!response) continue;
    let name = 'shared-export';
    try {
      name = decodeURIComponent(response.headers.get('x-file-name') ?? name);
    } catch {
      // A name that is not valid percent-encoding keeps the generic one.
    }
    const blob = await response.blob();
    files.push(new File([blob], name, { type: blob.type }));
  }
  return { files, entries };
}

async function removeShared(entries: readonly Request[]): Promise<void> {
  const cache = await caches.open(SHARED_CACHE);
  await Promise.all(entries.map((request) => cache.delete(request)));
}

let started = false;

export function startLaunchHandling(importFiles: (files: File[]) => Promise<void>): void {
  if (started) return;
  started = true;

  launchQueue()?.setConsumer(async (params) => {
    // A plain launch (no files) also reaches the consumer: nothing to do then.
    const handles = params.files ?? [];
    if (handles.length === 0) return;
    navigate('#/import');
    try {
      const files = await filesFromHandles(handles);
      if (files.length > 0) await importFiles(files);
    } catch (error) {
      reportImportProblem(new AppError('IMPORT_READ_FAILED', { detail: error instanceof Error ? error.name : String(error), cause: error }));
    }
  });

  const takeShared = async (): Promise<void> => {
    const match = /^#\/import\?(?:.*&)?shared=([^&]+)/.exec(location.hash);
    const batch = match?.[1];
    if (batch === undefined) return;
    // The address no longer names the batch, so a reload or Back never imports the same share twice.
    navigate('#/import', { replace: true });
    if (batch === 'failed' || batch === 'none' || typeof caches === 'undefined') {
      reportImportProblem(new AppError('IMPORT_SHARED_FILE_LOST', { detail: `share batch: ${batch}` }));
      return;
    }
    try {
      const { files, entries } = await sharedFiles(decodeURIComponent(batch));
      if (files.length === 0) {
        reportImportProblem(new AppError('IMPORT_SHARED_FILE_LOST', { detail: 'the shared batch was empty or already imported' }));
        return;
      }
      await importFiles(files);
      await removeShared(entries);
    } catch (error) {
      reportImportProblem(new AppError('IMPORT_SHARED_FILE_LOST', { detail: error instanceof Error ? error.name : String(error), cause: error }));
    }
  };
  void takeShared();
  window.addEventListener('hashchange', () => void takeShared());
}
