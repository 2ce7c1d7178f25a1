/**
 * Settings that follow the person to every device (SPEC C10, C39): each is a last-writer-wins record
 * `setting:<name>` in the sync engine, written through vault-ops with this vault's clock and pushed like a title.
 * Only what is listed here syncs, and nothing secret is ever listed: an API key stays on the device that holds it
 * (the ask settings split off their key before writing; `theme`, `ask` and `embedder` are the synced ones).
 *
 *   readSyncedSetting(db, name)            the synced value, or null when no device ever set it
 *   writeSyncedSetting(db, name, value)    a local change (validated by the setting's schema)
 *   onSyncedSettingsChanged(listener)      owners re-read after a pull brought new values (returns the unsubscribe)
 *   announceSyncedSettings()               the sync service calls this after a pull, and when another tab synced
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { syncRecordSchema } from '../../../shared/sync/records';
import { setValue } from '../../../shared/sync/vault-ops';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import { localContext, notifyLocalChange } from '../sync/local-changes';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
/** Who answers on the Ask page (chat/ask.ts re-exports it). */
export const ASK_MODES = ['cloud', 'own', 'offline'] as const;

export const SYNCED_SETTINGS = {
  /** ui/theme.ts */
  theme: z.enum(THEME_CHOICES),
  /** chat/ask.ts: which model answers, without the key (the key is per device). */
  ask: z.object({
    mode: z.enum(ASK_MODES),
    baseUrl: z.string().max(2048),
    model: z.string().max(200),
  }),
  /**
   * embed/semantic-service.ts: the remote embedding service whose vectors sync (C38), without the key (C51). Another
   * device offers to use the same one; it never switches on its own, since a device may embed on its own chip.
   */
  embedder: z.object({
    baseUrl: z.string().url().max(2048),
    model: z.string().min(1).max(200),
    dimensions: z.number().int().positive().max(8192).nullable(),
  }),
} as const;

export type SyncedSettingName = keyof typeof SYNCED_SETTINGS;
export type SyncedSettingValue<N extends SyncedSettingName> = z.infer<(typeof SYNCED_SETTINGS)[N]>;

export function syncedSettingId(name: SyncedSettingName): string {
  return `setting:${name}`;
}

export async function readSyncedSetting<N extends SyncedSettingName>(db: VaultDatabase, name: N): Promise<SyncedSettingValue<N> | null> {
  const row = await withStorageErrors(() => db.syncRecords.get(`lww:${syncedSettingId(name)}`));
  if (row === undefined) return null;
  const record = syncRecordSchema.safeParse(row.record);
  if (!record.success || record.data.type !== 'lww') return null;
  // A value this version cannot read (written by a newer app, or damaged) is ignored, never applied half-way.
  const value = SYNCED_SETTINGS[name].safeParse(record.data.value);
  return value.success ? (value.data as SyncedSettingValue<N>) : null;
}

/** Writes the setting for every device; unchanged values write nothing (setValue merges equal records as unchanged). */
export async function writeSyncedSetting<N extends SyncedSettingName>(db: VaultDatabase, name: N, value: SyncedSettingValue<N>): Promise<void> {
  const parsed = SYNCED_SETTINGS[name].safeParse(value);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', { detail: `setting ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  const current = await readSyncedSetting(db, name);
  if (current !== null && JSON.stringify(current) === JSON.stringify(parsed.data)) return;
  await setValue(await localContext(db), syncedSettingId(name), parsed.data);
  notifyLocalChange('setting');
}

type Listener = () => void;
const listeners = new Set<Listener>();

export function onSyncedSettingsChanged(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function announceSyncedSettings(): void {
  for (const listener of listeners) listener();
}
