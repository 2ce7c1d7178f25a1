/**
 * Personal memories ("things my AI should know about me"), sent with every ask-memory question. The one source of
 * truth is the synced memory records (SPEC C11, C31): equal texts are one memory on every device, a deletion is a
 * tombstone. The rows of the older unsynced `memories` table (Dexie v3) move into them once.
 *
 *   listMemories(db): Promise<Memory[]>                 newest first; plain Dexie reads (live-query safe)
 *   addMemory(db, text): Promise<string>                its key; MEMORY_DELETED_BEFORE when that text was deleted
 *   replaceMemory(db, key, text): Promise<string>       an edit: the new text added, the old one deleted
 *   deleteMemory(db, key): Promise<void>
 *   migrateLegacyMemories(db): Promise<number>          once per page; idempotent, so a crash part way is harmless
 */
import { AppError } from '../../../shared/errors';
import { syncRecordSchema } from '../../../shared/sync/records';
import { addMemory as addMemoryRecord, deleteItem } from '../../../shared/sync/vault-ops';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import { localContext, notifyLocalChange } from '../sync/local-changes';

export const MAX_MEMORY_CHARS = 2_000;
const KEY_PREFIX = 'memory:';

export interface Memory {
  /** The record key (`memory:<hash of the normalised text>`). */
  key: string;
  text: string;
  /** The hybrid logical clock of the first save: orders the list. */
  savedAt: string;
}

export async function listMemories(db: VaultDatabase): Promise<Memory[]> {
  const rows = await withStorageErrors(() => db.syncRecords.where('key').startsWith(KEY_PREFIX).toArray());
  const memories: Memory[] = [];
  for (const row of rows) {
    const parsed = syncRecordSchema.safeParse(row.record);
    if (parsed.success && parsed.data.type === 'memory') memories.push({ key: row.key, text: parsed.data.text, savedAt: parsed.data.hlc });
  }
  return memories.sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0));
}

function cleanMemory(text: string): string {
  const clean = text.trim();
  if (clean === '') throw new AppError('VALIDATION_FAILED', { message: 'A memory needs some text. Type what your AI should know, then save.' });
  if (clean.length > MAX_MEMORY_CHARS) {
    throw new AppError('VALIDATION_FAILED', { message: `A memory is at most ${MAX_MEMORY_CHARS.toLocaleString('en')} characters. Shorten it and save again.` });
  }
  return clean;
}

async function add(db: VaultDatabase, text: string): Promise<{ key: string; stored: boolean }> {
  const key = await addMemoryRecord(await localContext(db), text);
  // vault-ops skips a tombstoned key silently (C9); the person is told instead of seeing nothing happen.
  const stored = (await withStorageErrors(() => db.syncRecords.get(key))) !== undefined;
  return { key, stored };
}

export async function addMemory(db: VaultDatabase, text: string): Promise<string> {
  const { key, stored } = await add(db, cleanMemory(text));
  if (!stored) throw new AppError('MEMORY_DELETED_BEFORE');
  notifyLocalChange('memory');
  return key;
}

export async function deleteMemory(db: VaultDatabase, key: string): Promise<void> {
  if (!key.startsWith(KEY_PREFIX)) throw new AppError('INTERNAL', { detail: `not a memory key: ${key.slice(0, 40)}` });
  await deleteItem(await localContext(db), key);
  notifyLocalChange('memory');
}

/**
 * An edited memory is another memory (its id is its text): the new one is added first, then the old one deleted,
 * so a failure never loses both. A change of case or spacing only is the same memory and keeps its wording.
 */
export async function replaceMemory(db: VaultDatabase, key: string, text: string): Promise<string> {
  const next = await addMemory(db, text);
  if (next !== key) await deleteMemory(db, key);
  return next;
}

const migrations = new WeakMap<VaultDatabase, Promise<number>>();

/**
 * Moves the rows of the v3 `memories` table into synced memory records, oldest first, deleting each row after its
 * record is written. Re-running is harmless (equal texts are one memory), so a tab closed part way just finishes
 * later. Runs once per page; a failure is forgotten so the next caller tries again and sees the error.
 */
export function migrateLegacyMemories(db: VaultDatabase): Promise<number> {
  let running = migrations.get(db);
  if (running === undefined) {
    running = (async () => {
      const rows = await withStorageErrors(() => db.memories.toArray());
      rows.sort((a, b) => a.createdAt - b.createdAt);
      for (const row of rows) {
        // A text the person deleted on another device stays deleted (C9); a blank row has nothing to keep.
        if (row.text.trim() !== '') await add(db, row.text.slice(0, MAX_MEMORY_CHARS));
        await withStorageErrors(() => db.memories.delete(row.id));
      }
      if (rows.length > 0) notifyLocalChange('memory');
      return rows.length;
    })();
    running.catch(() => migrations.delete(db));
    migrations.set(db, running);
  }
  return running;
}
