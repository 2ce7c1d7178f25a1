/**
 * The UI's handle on the sync service: loaded from its own chunk once the page is idle (or when a view asks), over
 * the page's vault. The header indicator reads only web/src/sync/status.ts, so it never loads this chunk itself.
 *
 *   syncService(): Promise<SyncService>
 *   startSyncLater(): void          App calls it once
 */
import type { SyncService } from '../sync/sync-service';
import { vault } from './data';

let loading: Promise<SyncService> | undefined;

export function syncService(): Promise<SyncService> {
  loading ??= Promise.all([vault(), import('../sync/sync-service')])
    .then(([v, m]) => m.startSyncService(v.db))
    .catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  return loading;
}

export function startSyncLater(): void {
  const start = (): void => {
    syncService().catch((error: unknown) => {
      // The sync page explains a service that cannot start (e.g. storage unavailable); here it is only logged.
      console.warn('sync did not start', error instanceof Error ? error.message : String(error));
    });
  };
  if ('requestIdleCallback' in window) requestIdleCallback(start, { timeout: 3000 });
  else setTimeout(start, 1000);
}
