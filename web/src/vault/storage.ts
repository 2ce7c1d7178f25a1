/**
 * Storage the person can see and control: how much the vault uses, whether the browser may evict it, and
 * deleting it.
 *
 *   storageStatus(): Promise<StorageStatus>
 *   requestPersistentStorage(): Promise<PersistOutcome>     // asks navigator.storage.persist(), explains the answer
 *   deleteVault(db): Promise<void>                          // every table (search index, vectors, settings too)
 */
import { withStorageErrors, type VaultDatabase } from '../db/database';

export interface StorageStatus {
  /** False when the browser offers no storage estimate (old browsers, some private modes). */
  supported: boolean;
  usage: number | null;
  quota: number | null;
  /** Whether the browser promised not to evict the vault (null when unknown). */
  persisted: boolean | null;
}

export interface PersistOutcome {
  persisted: boolean;
  /** A sentence for the settings page saying what this means. */
  explanation: string;
}

function storageManager(): StorageManager | null {
  return typeof navigator !== 'undefined' && 'storage' in navigator ? navigator.storage : null;
}

export async function storageStatus(): Promise<StorageStatus> {
  const storage = storageManager();
  if (!storage?.estimate) return { supported: false, usage: null, quota: null, persisted: null };
  const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted ? storage.persisted() : Promise.resolve(null)]);
  return { supported: true, usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}

export const PERSIST_GRANTED =
  'Your browser will keep the vault even when the disk gets full; only you can delete it (here or by clearing site data).';
export const PERSIST_REFUSED =
  'Your browser did not promise to keep the vault: if the disk gets very full it may delete site data, starting with sites you use least. Installing Cogzy Vault as an app, bookmarking it or using it often usually makes the browser agree; export your vault from time to time to be safe.';
export const PERSIST_UNSUPPORTED =
  'This browser cannot promise to keep site data, so it may delete the vault if the disk gets very full. Export your vault from time to time to be safe.';

export async function requestPersistentStorage(): Promise<PersistOutcome> {
  const storage = storageManager();
  if (!storage?.persist) return { persisted: false, explanation: PERSIST_UNSUPPORTED };
  const persisted = (await storage.persisted?.()) === true || (await storage.persist());
  return { persisted, explanation: persisted ? PERSIST_GRANTED : PERSIST_REFUSED };
}

/** Deletes everything in one transaction: nobody ever sees a vault whose index outlives its conversations. */
export async function deleteVault(db: VaultDatabase): Promise<void> {
  await withStorageErrors(() =>
    db.transaction('rw', db.tables, async () => {
      await Promise.all(db.tables.map((table) => table.clear()));
    }),
  );
}
