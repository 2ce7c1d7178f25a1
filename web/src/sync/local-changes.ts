/**
 * The seam between what a person changes on this device and the sync scheduler, so edits never wait for sync code.
 *
 *   deviceId(db): Promise<string>             this device's stable random id (a `syncState` row, made once)
 *   localContext(db): Promise<LocalContext>   the sync engine's LocalContext over this vault (shared/sync/vault-ops.ts)
 *   notifyLocalChange(reason)                 every write that sync must carry calls this after it commits
 *   onLocalChange(listener): () => void       the scheduler listens (debounced push); returns an unsubscribe
 *
 * Writes of records that sync (titles, pins, tags, notes, memories, deletions, imports) go through
 * shared/sync/vault-ops.ts with `localContext(db)`, which stamps clocks and marks them pending.
 */
import type { LocalContext } from '../../../shared/sync/vault-ops';
import type { VaultDatabase } from '../db/database';
import { DexieStore } from './dexie-store';

const DEVICE_ID_KEY = 'sync.deviceId';

export async function deviceId(db: VaultDatabase): Promise<string> {
  return db.transaction('rw', db.syncState, async () => {
    const row = await db.syncState.get(DEVICE_ID_KEY);
    if (typeof row?.value === 'string' && row.value.length > 0) return row.value;
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    const id = `d-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    await db.syncState.put({ key: DEVICE_ID_KEY, value: id });
    return id;
  });
}

const contexts = new WeakMap<VaultDatabase, Promise<LocalContext>>();

export function localContext(db: VaultDatabase): Promise<LocalContext> {
  let context = contexts.get(db);
  if (context === undefined) {
    context = deviceId(db).then((id) => ({ store: new DexieStore(db, id), clock: { now: () => Date.now() }, deviceId: id }));
    contexts.set(db, context);
  }
  return context;
}

type Listener = (reason: string) => void;
const listeners = new Set<Listener>();

export function notifyLocalChange(reason: string): void {
  for (const listener of listeners) listener(reason);
}

export function onLocalChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
