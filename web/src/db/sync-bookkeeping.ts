/**
 * The sync engine's queue of local changes, as the database layer writes it: the Dexie LocalStore
 * (web/src/sync/dexie-store.ts) and the import batches (import-writes.ts) both mark keys pending through here, so a
 * change number is never reused whoever wrote it (C7, C19), and both ask the same tombstones (C9).
 *
 *   SYNC_BOOKKEEPING_TABLES                       what a transaction calling these must cover
 *   markPendingKeys(db, keys): Promise<void>     inside such a transaction; one change number per key, in order
 *   lastPendingSeq(db), writePendingKeys(db, keys, last)   the same in two steps, so a caller can batch its reads
 *   tombstonedKeys(db, keys): Promise<Set<string>>
 */
import type { VaultDatabase } from './database';

export const PENDING_SEQ_KEY = 'sync.pendingSeq';
export const SYNC_BOOKKEEPING_TABLES = ['syncTombstones', 'syncPending', 'syncState'] as const;

/** Marks every key pending with a fresh change number (a counter that only grows). Call inside a rw transaction. */
export async function markPendingKeys(db: VaultDatabase, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await writePendingKeys(db, keys, await lastPendingSeq(db));
}

/** The last change number given out (0 before the first). Call inside a transaction covering syncState. */
export async function lastPendingSeq(db: VaultDatabase): Promise<number> {
  const row = await db.syncState.get(PENDING_SEQ_KEY);
  return typeof row?.value === 'number' ? row.value : 0;
}

/** markPendingKeys with the counter already read in the same rw transaction (`last`): issues both writes at once. */
export async function writePendingKeys(db: VaultDatabase, keys: readonly string[], last: number): Promise<void> {
  if (keys.length === 0) return;
  const first = last + 1;
  await Promise.all([
    db.syncState.put({ key: PENDING_SEQ_KEY, value: first + keys.length - 1 }),
    db.syncPending.bulkPut(keys.map((key, i) => ({ key, seq: first + i }))),
  ]);
}

/** Which of `keys` are deleted for good (sticky tombstones, C9). */
export async function tombstonedKeys(db: VaultDatabase, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  // An import asks for a thousand keys per batch, and a get per key cost a tenth of the batch (bench/search.bench.ts):
  // when the vault holds fewer tombstones than that, one read of all their keys answers it.
  const total = await db.syncTombstones.count();
  if (total === 0) return new Set();
  if (total <= keys.length) {
    const all = new Set(await db.syncTombstones.toCollection().primaryKeys());
    return new Set(keys.filter((key) => all.has(key)));
  }
  const rows = await db.syncTombstones.bulkGet([...keys]);
  return new Set(rows.flatMap((row) => (row === undefined ? [] : [row.key])));
}
