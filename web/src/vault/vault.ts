/**
 * The composition root of the vault for the page: open the database once, settle imports a closed tab left
 * behind, start moving memories saved before sync into synced records, and create the search service (where
 * semantic sources register).
 *
 *   openVault(options?: OpenVaultOptions): Promise<Vault>
 *   interface Vault { db: VaultDatabase; search: SearchService; close(): void }
 *
 * Everything else takes `vault.db` as its first argument: listConversations, getConversation, conversationTimeline,
 * vaultCounts (conversations.ts); importHistory, describeImport (imports.ts); exportVaultJson, exportVaultMarkdown
 * (export.ts); storageStatus, requestPersistentStorage, deleteVault (storage.ts); subscribeLive (live.ts);
 * startImport (../import/client.ts) needs no db: the worker opens its own connection.
 */
import { openVaultDatabase, type OpenVaultOptions, type VaultDatabase } from '../db/database';
import { SearchService } from '../search/search';
import { recoverInterruptedImports } from './imports';

export interface Vault {
  db: VaultDatabase;
  search: SearchService;
  close(): void;
}

export async function openVault(options: OpenVaultOptions = {}): Promise<Vault> {
  const db = await openVaultDatabase(options);
  await recoverInterruptedImports(db);
  // Memories saved before sync start syncing without waiting for the Ask page. Loaded apart (the write path brings
  // the sync engine, which the first screen does not need) and not awaited: a failure must not keep the vault
  // closed; it is forgotten, and the Ask page (which runs it again) says what went wrong.
  void import('./memories').then(({ migrateLegacyMemories }) => migrateLegacyMemories(db)).catch(() => undefined);
  return { db, search: new SearchService(db), close: () => db.close() };
}
