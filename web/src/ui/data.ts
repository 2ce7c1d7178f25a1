/**
 * The UI's doorway to the vault: one database connection and one search service for the page, and the reads and
 * actions the views make, delegating to the data layer (vault/, search/, import/). Views read through `createLive`
 * so they update while an import is writing.
 *
 * For other features: `vault()` is THE page's Vault (db + SearchService); `registerSemanticSource(source)` plugs a
 * vector source into its search and enables the search page's Semantic / Hybrid modes.
 */
import { createSignal } from 'solid-js';
import type { ImportRow, UpgradeProgress, VaultDatabase } from '../db/database';
import { openVault, type Vault } from '../vault/vault';
import { conversationTimeline, getConversation, listConversations as listConversationPage, vaultCounts } from '../vault/conversations';
import type { ConversationPage, ConversationSort, ConversationView, Timeline } from '../vault/conversations';
import { importHistory as readImportHistory } from '../vault/imports';
import { exportFileName, exportVaultJson, exportVaultMarkdown } from '../vault/export';
import { deleteVault as clearVault } from '../vault/storage';
import type { ResultSource, SearchFilters, SearchMode, SearchResponse } from '../search/search';
import type { Provider } from '../../../shared/model';
import { deleteItem } from '../../../shared/sync/vault-ops';
import { localContext, notifyLocalChange } from '../sync/local-changes';
import { conversationsMatching, readConversationEdits, readEditsIndex, type ConversationEditsView, type EditsIndex } from '../vault/edits';

let opening: Promise<Vault> | undefined;

const [upgradeProgress, setUpgradeProgress] = createSignal<UpgradeProgress | null>(null);

/** How far a long storage upgrade is while the vault opens (reactive; null when none is running). */
export function storageUpgrade(): UpgradeProgress | null {
  return upgradeProgress();
}

/** The page's vault (opened, upgraded if needed, and checked for interrupted imports on first use). */
export function vault(): Promise<Vault> {
  opening ??= openVault({ onUpgradeProgress: (progress) => setUpgradeProgress({ ...progress }) }).then(
    (opened) => {
      setUpgradeProgress(null);
      return opened;
    },
    (error: unknown) => {
      setUpgradeProgress(null);
      opening = undefined;
      throw error;
    },
  );
  return opening;
}

async function vaultDb(): Promise<VaultDatabase> {
  return (await vault()).db;
}

const [semanticSources, setSemanticSources] = createSignal(0);

/**
 * Adds a semantic (vector) source to the page's search and enables the Semantic/Hybrid modes while it is
 * registered. Returns the unregister function.
 */
export async function registerSemanticSource(source: ResultSource): Promise<() => void> {
  const unregister = (await vault()).search.registerSource(source);
  setSemanticSources((n) => n + 1);
  return () => {
    unregister();
    setSemanticSources((n) => n - 1);
  };
}

/** Whether semantic search can run now (reactive). */
export function semanticAvailable(): boolean {
  return semanticSources() > 0;
}

export interface ConversationFilter {
  readonly provider: Provider | null;
  /** Only starred conversations. */
  readonly starred: boolean;
  /** Only conversations with this tag (case-insensitive). */
  readonly tag: string | null;
  /** Inclusive epoch-ms bounds on the conversation's date (null = open). */
  readonly from: number | null;
  readonly to: number | null;
  readonly sort: ConversationSort;
  readonly limit: number;
}

export interface ConversationListing {
  page: ConversationPage;
  /** Renamed titles, stars and tags of every edited conversation, and the tags in use (filter choices). */
  edits: EditsIndex;
}

export async function listConversations(db: VaultDatabase, filter: ConversationFilter): Promise<ConversationListing> {
  const edits = await readEditsIndex(db);
  const page = await listConversationPage(db, {
    sort: filter.sort,
    providers: filter.provider ? [filter.provider] : [],
    from: filter.from,
    to: filter.to,
    limit: filter.limit,
    only: conversationsMatching(edits, filter),
  });
  return { page, edits };
}

/** Renamed titles by conversation id (search results and recent lists show them over the imported ones). */
export async function renamedTitles(db: VaultDatabase): Promise<Map<string, string>> {
  const { byConversation } = await readEditsIndex(db);
  const titles = new Map<string, string>();
  for (const [id, edits] of byConversation) if (edits.title !== null) titles.set(id, edits.title);
  return titles;
}

// Live reads (through createLive, which passes the open database).
export const loadConversation = (db: VaultDatabase, id: string): Promise<ConversationView | null> => getConversation(db, id);
export const loadConversationEdits = (db: VaultDatabase, id: string): Promise<ConversationEditsView> => readConversationEdits(db, id);
export const timeline = (db: VaultDatabase): Promise<Timeline> => conversationTimeline(db);
export const importHistory = (db: VaultDatabase): Promise<ImportRow[]> => readImportHistory(db);
export const vaultStats = (db: VaultDatabase): Promise<{ conversations: number; nodes: number; imports: number }> => vaultCounts(db);

export interface SearchRequest {
  readonly query: string;
  readonly mode: SearchMode;
  readonly filters: SearchFilters;
}

/** Results per page of the search view ("Show more" asks for the next page too). */
export const RESULT_PAGE = 50;

export async function runSearch(request: SearchRequest, limit = RESULT_PAGE): Promise<SearchResponse> {
  return (await vault()).search.search(request.query, { mode: request.mode, filters: request.filters, limit });
}

/** The most recent conversations (search page with no query). */
export const recentConversations = (db: VaultDatabase): Promise<ConversationPage> => listConversationPage(db, { sort: 'newest', limit: 6 });

export async function exportVault(format: 'json' | 'markdown'): Promise<{ blob: Blob; fileName: string }> {
  const db = await vaultDb();
  const now = Date.now();
  const blob = format === 'json' ? await exportVaultJson(db, now) : await exportVaultMarkdown(db, now);
  return { blob, fileName: exportFileName(format, now) };
}

export async function deleteVault(): Promise<void> {
  await clearVault(await vaultDb());
}

/**
 * Deletes a conversation with everything of it (nodes, index entries, vectors, notes, pins), as a sync tombstone:
 * it leaves every device at their next sync, and a later import of the same content skips it (C9, C21).
 */
export async function deleteConversation(id: string): Promise<void> {
  await deleteItem(await localContext(await vaultDb()), `conversation:${id}`);
  notifyLocalChange('delete-conversation');
}
