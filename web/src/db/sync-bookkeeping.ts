/**
 * The sync engine's queue of local changes, as the database layer writes it: the Dexie LocalStore
 * (web/src/sync/dexie-store.ts) and the import batches (import-writes.ts) both mark keys pending through here, so a
 * change number is never reused whoever wrote it (C7, C19), and both ask the same tombstones (C9).
 *
 *   SYNC_BOOKKEEPING_TABLES                       what a transaction calling these must cover
 *   markPendingKeys(db, keys): Promise<void>     inside such a transaction; one change number per key, in order
 *   lastPendingSeq(db), writePendingKeys(db, keys, last)   the same in two steps, so a caller can batch its reads
 *   writePendingBatch(db, keys, last)            as writePendingKeys, as ONE row for all the keys (import batches)
 *   readPendingChanges(db): Promise<PendingChange[]>        every pending key once, with its latest change number
 *   clearPendingChanges(db, acknowledged): Promise<void>    drops what a commit acknowledged, unless changed since
 *   tombstonedKeys(db, keys): Promise<Set<string>>
 *
 * A pending key is stored either as its own row {key, seq} or inside a batch row {key: '#batch:<seq>', seq, keys}
 * where keys[i] has change number seq + i ('' once acknowledged). An import batch writes one row for its thousand
 * keys instead of a thousand rows: IndexedDB's cost is per request (bench/search.bench.ts). A key can then be
 * pending in several rows; the latest change number is the one that counts, as when a row was overwritten.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { PendingChange } from '../../../shared/sync/ports';
import type { SyncPendingRow, VaultDatabase } from './database';

const pendingRowSchema = z.object({ key: z.string(), seq: z.number().int().nonnegative(), keys: z.array(z.string()).optional() });

function parsePendingRows(rows: unknown[]): SyncPendingRow[] {
  const parsed = z.array(pendingRowSchema).safeParse(rows);
  if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: 'a stored pending sync change does not match its schema' });
  return parsed.data;
}

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

/** Record keys are `<type>:<id>`; no type starts with '#', so batch rows never collide with a key's own row. */
const BATCH_PREFIX = '#batch:';
/** Batch row keys sort by their first change number (primary-key order = change order). */
const batchRowKey = (seq: number): string => `${BATCH_PREFIX}${String(seq).padStart(16, '0')}`;

/** Keys per batch row: a push acknowledges a few thousand at a time and rewrites the rows it touched. */
const BATCH_ROW_KEYS = 1024;

/**
 * writePendingKeys as rows of up to BATCH_ROW_KEYS keys: one IndexedDB request per row instead of one per key.
 * Call inside a rw transaction covering syncPending and syncState, with `last` read in it (lastPendingSeq).
 */
export async function writePendingBatch(db: VaultDatabase, keys: readonly string[], last: number): Promise<void> {
  if (keys.length === 0) return;
  const rows: SyncPendingRow[] = [];
  for (let at = 0; at < keys.length; at += BATCH_ROW_KEYS) {
    const seq = last + 1 + at;
    rows.push({ key: batchRowKey(seq), seq, keys: keys.slice(at, at + BATCH_ROW_KEYS) });
  }
  await Promise.all([db.syncState.put({ key: PENDING_SEQ_KEY, value: last + keys.length }), db.syncPending.bulkPut(rows)]);
}

/** The batch rows whose first change number is at most `upToSeq`. */
function batchRows(db: VaultDatabase, upToSeq = Number.MAX_SAFE_INTEGER): Promise<SyncPendingRow[]> {
  return db.syncPending.where('key').between(BATCH_PREFIX, batchRowKey(upToSeq), true, true).toArray().then(parsePendingRows);
}

/** Every pending key once, with its latest change number, oldest change first (LocalTx.pending). */
export async function readPendingChanges(db: VaultDatabase): Promise<PendingChange[]> {
  const rows = parsePendingRows(await db.syncPending.toArray());
  const latest = new Map<string, number>();
  const note = (key: string, seq: number): void => {
    if (key !== '' && (latest.get(key) ?? -1) < seq) latest.set(key, seq);
  };
  for (const row of rows) {
    if (row.keys) row.keys.forEach((key, i) => note(key, row.seq + i));
    else note(row.key, row.seq);
  }
  return [...latest].map(([key, seq]) => ({ key, seq })).sort((a, b) => a.seq - b.seq);
}

/**
 * Drops the acknowledged changes (LocalTx.clearPending): a key leaves the queue only if it was not changed again
 * after the change number acknowledged (C7). Earlier entries of the same key, in batch rows, go with it.
 */
export async function clearPendingChanges(db: VaultDatabase, acknowledged: readonly PendingChange[]): Promise<void> {
  if (acknowledged.length === 0) return;
  const acked = new Map<string, number>();
  let maxSeq = -1;
  for (const change of acknowledged) {
    acked.set(change.key, Math.max(change.seq, acked.get(change.key) ?? -1));
    maxSeq = Math.max(maxSeq, change.seq);
  }
  const [own, batches] = await Promise.all([db.syncPending.bulkGet([...acked.keys()]), batchRows(db, maxSeq)]);
  const done = own.flatMap((row) => (row !== undefined && !row.keys && row.seq <= (acked.get(row.key) ?? -1) ? [row.key] : []));
  const writes: Promise<unknown>[] = [db.syncPending.bulkDelete(done)];
  for (const row of batches) {
    const keys = row.keys ?? [];
    let changed = false;
    const left = keys.map((key, i) => {
      if (key === '' || row.seq + i > (acked.get(key) ?? -1)) return key;
      changed = true;
      return '';
    });
    if (!changed) continue;
    writes.push(left.every((key) => key === '') ? db.syncPending.delete(row.key) : db.syncPending.put({ ...row, keys: left }));
  }
  await Promise.all(writes);
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
