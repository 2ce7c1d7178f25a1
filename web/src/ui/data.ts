/**
 * The UI's doorway to the vault: one lazily opened database for the page and the reads the views make. Views call
 * these functions through `createLive` so they update while an import is writing.
 */
import { openVaultDatabase, type ImportRow, type NodeRow, type VaultDatabase } from '../db/database';
import type { Conversation, Provider } from '../../../shared/model';
import { KeywordSearch } from '../search/keyword-search';
import { makeSnippet, matchSpecFor, type Snippet } from '../search/snippets';
import type { SearchFilters, SearchMode } from '../search/types';

let opening: Promise<VaultDatabase> | undefined;

/** The page's database connection (opened, and upgraded if needed, on first use). */
export function vaultDb(): Promise<VaultDatabase> {
  opening ??= openVaultDatabase().catch((error: unknown) => {
    opening = undefined;
    throw error;
  });
  return opening;
}

export type ConversationSort = 'updated' | 'created' | 'title';

export interface ConversationFilter {
  readonly provider: Provider | null;
  /** Inclusive epoch-ms bounds on the conversation's creation time (null = open). */
  readonly from: number | null;
  readonly to: number | null;
  readonly sort: ConversationSort;
}

export type ConversationSummary = Omit<Conversation, 'raw'>;

function summary({ raw: _raw, ...rest }: Conversation): ConversationSummary {
  return rest;
}

export async function listConversations(filter: ConversationFilter): Promise<ConversationSummary[]> {
  const db = await vaultDb();
  const rows = await (filter.provider ? db.conversations.where('provider').equals(filter.provider) : db.conversations).toArray();
  const inRange = rows.filter((c) => {
    if (filter.from === null && filter.to === null) return true;
    if (c.createdAt === null) return false;
    return (filter.from === null || c.createdAt >= filter.from) && (filter.to === null || c.createdAt <= filter.to);
  });
  const byTime = (key: 'createdAt' | 'updatedAt') => (a: Conversation, b: Conversation) => (b[key] ?? -Infinity) - (a[key] ?? -Infinity);
  inRange.sort(filter.sort === 'title' ? (a, b) => a.title.localeCompare(b.title) : byTime(filter.sort === 'created' ? 'createdAt' : 'updatedAt'));
  return inRange.map(summary);
}

export interface LoadedConversation {
  readonly conversation: Conversation;
  /** Active thread first in order, then alternate-branch nodes. */
  readonly nodes: readonly NodeRow[];
}

export async function loadConversation(id: string): Promise<LoadedConversation | null> {
  const db = await vaultDb();
  const conversation = await db.conversations.get(id);
  if (!conversation) return null;
  const nodes = await db.nodes.where('[conversationId+ordinal]').between([id, -Infinity], [id, Infinity]).toArray();
  nodes.sort((a, b) => Number(b.active) - Number(a.active) || a.ordinal - b.ordinal);
  return { conversation, nodes };
}

export async function importHistory(): Promise<ImportRow[]> {
  const db = await vaultDb();
  return db.imports.orderBy('id').reverse().toArray();
}

export interface VaultStats {
  readonly conversations: number;
  readonly nodes: number;
}

export async function vaultStats(): Promise<VaultStats> {
  const db = await vaultDb();
  const [conversations, nodes] = await Promise.all([db.conversations.count(), db.nodes.count()]);
  return { conversations, nodes };
}

export interface MonthCount {
  /** `YYYY-MM` in UTC. */
  readonly month: string;
  readonly count: number;
}

/** Conversations per month of their creation (conversations without a date are counted apart). */
export async function conversationsPerMonth(): Promise<{ months: MonthCount[]; undated: number }> {
  const db = await vaultDb();
  const counts = new Map<string, number>();
  let undated = 0;
  await db.conversations.each((c) => {
    if (c.createdAt === null) {
      undated++;
      return;
    }
    const d = new Date(c.createdAt);
    const key = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return { months: [...counts].map(([month, count]) => ({ month, count })).sort((a, b) => a.month.localeCompare(b.month)), undated };
}

export interface SearchRequest {
  readonly query: string;
  readonly mode: SearchMode;
  readonly filters: SearchFilters;
}

export interface SearchHitView {
  readonly nodeId: string;
  readonly conversationId: string;
  readonly title: string;
  readonly provider: Provider;
  readonly createdAt: number | null;
  readonly snippet: Snippet;
}

export interface SearchOutcome {
  readonly hits: readonly SearchHitView[];
  readonly total: number;
  /** A sentence about how the results were found, when it is not the obvious (e.g. "showing partial matches"). */
  readonly note: string | null;
}

const RESULT_LIMIT = 50;
let keyword: KeywordSearch | undefined;

export async function runSearch(request: SearchRequest): Promise<SearchOutcome> {
  const db = await vaultDb();
  keyword ??= new KeywordSearch(db);
  const result = await keyword.searchDetailed(request.query, request.filters, RESULT_LIMIT);
  const spec = matchSpecFor(result.parsed, result.expansions);
  const nodes = await Promise.all(result.hits.map((h) => h.node ?? db.nodes.get(h.nodeId)));
  const present = nodes.filter((n): n is NodeRow => n !== undefined);
  const conversations = await db.conversations.bulkGet([...new Set(present.map((n) => n.conversationId))]);
  const titles = new Map(conversations.filter((c) => c !== undefined).map((c) => [c.id, c.title]));
  const hits = present.map((node) => ({
    nodeId: node.id,
    conversationId: node.conversationId,
    title: titles.get(node.conversationId) ?? '',
    provider: node.provider,
    createdAt: node.createdAt,
    snippet: makeSnippet(
      {
        ...(request.filters.role !== 'assistant' ? { human: node.human.text } : {}),
        ...(request.filters.role !== 'human' && node.assistant ? { assistant: node.assistant.text } : {}),
      },
      spec,
    ),
  }));
  return { hits, total: result.total, note: result.matchedAll ? null : 'no exchange has every word, so these have some of them' };
}

/** Whether semantic search can run (vectors exist), and if not, a sentence saying why. */
export async function semanticAvailability(): Promise<{ available: boolean; reason: string | null }> {
  const db = await vaultDb();
  const blocks = await db.vectors.count();
  return blocks > 0
    ? { available: true, reason: null }
    : { available: false, reason: 'Semantic and hybrid search need embeddings of your conversations. Turn on embeddings in Settings; keyword search works meanwhile.' };
}
