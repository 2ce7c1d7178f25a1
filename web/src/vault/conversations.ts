/**
 * Reading the vault for the UI: conversation list, one conversation with its thread and branches, the timeline.
 * Rows are light (raw export records live in another table), so these never load megabytes to show a list.
 *
 *   listConversations(db, query?: ConversationQuery): Promise<ConversationPage>
 *   getConversation(db, id: string): Promise<ConversationView | null>
 *   conversationTimeline(db, options?: { providers?: readonly Provider[] }): Promise<Timeline>
 *   vaultCounts(db): Promise<{ conversations: number; nodes: number; imports: number }>
 */
import type { Provider } from '../../../shared/model';
import { withStorageErrors, type ConversationRow, type NodeRow, type VaultDatabase } from '../db/database';
import { readIndexStats } from '../search/keyword-index';

export type ConversationSort = 'newest' | 'oldest' | 'title';

export interface ConversationQuery {
  sort?: ConversationSort;
  providers?: readonly Provider[];
  /** Epoch ms bounds (inclusive) on the conversation's date (created, else updated). */
  from?: number | null;
  to?: number | null;
  offset?: number;
  limit?: number;
  /** Only these conversations (the starred or tag filter, vault/edits.ts); undefined or null: all. */
  only?: ReadonlySet<string> | null;
}

export interface ConversationPage {
  items: ConversationRow[];
  /** Matching conversations in all (for "N conversations" and paging). */
  total: number;
}

export async function listConversations(db: VaultDatabase, query: ConversationQuery = {}): Promise<ConversationPage> {
  const sort = query.sort ?? 'newest';
  const providers = query.providers && query.providers.length > 0 ? new Set(query.providers) : null;
  const from = query.from ?? null;
  const to = query.to ?? null;
  const only = query.only ?? null;
  const keep = (row: ConversationRow): boolean =>
    (only === null || only.has(row.id)) &&
    (providers === null || providers.has(row.provider)) &&
    (from === null || (row.sortAt > 0 && row.sortAt >= from)) &&
    (to === null || (row.sortAt > 0 && row.sortAt <= to));
  return withStorageErrors(async () => {
    const ordered = () => {
      const base = sort === 'title' ? db.conversations.orderBy('titleKey') : db.conversations.orderBy('sortAt');
      return (sort === 'newest' ? base.reverse() : base).filter(keep);
    };
    const [items, total] = await Promise.all([
      ordered()
        .offset(query.offset ?? 0)
        .limit(query.limit ?? 200)
        .toArray(),
      ordered().count(),
    ]);
    return { items, total };
  });
}

export interface Branch {
  /** The importer's branch label (e.g. the branch leaf's message id). */
  branchId: string;
  /** Ordinal of the branch's first exchange: it replaces the active exchange at this position. */
  forkOrdinal: number;
  nodes: NodeRow[];
}

export interface ConversationView {
  conversation: ConversationRow;
  /** The active thread in order. */
  thread: NodeRow[];
  /** Alternate branches (edits, regenerations), ordered by fork point. */
  branches: Branch[];
}

export async function getConversation(db: VaultDatabase, id: string): Promise<ConversationView | null> {
  return withStorageErrors(async () => {
    const [conversation, nodes] = await Promise.all([
      db.conversations.get(id),
      db.nodes.ofConversation(id),
    ]);
    if (!conversation) return null;
    const thread = nodes.filter((n) => n.active).sort((x, y) => x.ordinal - y.ordinal);
    const byBranch = new Map<string, NodeRow[]>();
    for (const node of nodes) {
      if (node.active) continue;
      const key = node.branchId ?? '';
      const list = byBranch.get(key) ?? [];
      list.push(node);
      byBranch.set(key, list);
    }
    const branches = [...byBranch].map(([branchId, list]) => {
      list.sort((x, y) => x.ordinal - y.ordinal);
      return { branchId, forkOrdinal: list[0]?.ordinal ?? 0, nodes: list };
    });
    branches.sort((x, y) => x.forkOrdinal - y.forkOrdinal || x.branchId.localeCompare(y.branchId));
    return { conversation, thread, branches };
  });
}

export interface TimelineMonth {
  /** `YYYY-MM`, UTC. */
  month: string;
  count: number;
  byProvider: Partial<Record<Provider, number>>;
}

export interface Timeline {
  /** Every month from the first to the last dated conversation, empty months included (count 0). */
  months: TimelineMonth[];
  /** Conversations without any date. */
  undated: number;
}

function monthKey(year: number, month: number): string {
  return `${year}-${String(month + 1).padStart(2, '0')}`;
}

/** Reads only index keys ([provider, sortAt]), never the rows. */
export async function conversationTimeline(db: VaultDatabase, options: { providers?: readonly Provider[] } = {}): Promise<Timeline> {
  const providers = options.providers && options.providers.length > 0 ? new Set(options.providers) : null;
  const keys = await withStorageErrors(() => db.conversations.orderBy('[provider+sortAt]').keys());
  const counts = new Map<string, TimelineMonth>();
  let undated = 0;
  let first: Date | null = null;
  let last: Date | null = null;
  for (const key of keys) {
    const [provider, sortAt] = key as unknown as [Provider, number];
    if (providers && !providers.has(provider)) continue;
    if (!sortAt) {
      undated++;
      continue;
    }
    const date = new Date(sortAt);
    if (!first || date < first) first = date;
    if (!last || date > last) last = date;
    const month = monthKey(date.getUTCFullYear(), date.getUTCMonth());
    const entry = counts.get(month) ?? { month, count: 0, byProvider: {} };
    entry.count++;
    entry.byProvider[provider] = (entry.byProvider[provider] ?? 0) + 1;
    counts.set(month, entry);
  }
  const months: TimelineMonth[] = [];
  if (first && last) {
    for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); y < last.getUTCFullYear() || (y === last.getUTCFullYear() && m <= last.getUTCMonth()); m === 11 ? ((m = 0), y++) : m++) {
      const month = monthKey(y, m);
      months.push(counts.get(month) ?? { month, count: 0, byProvider: {} });
    }
  }
  return { months, undated };
}

export async function vaultCounts(db: VaultDatabase): Promise<{ conversations: number; nodes: number; imports: number }> {
  return withStorageErrors(async () => {
    const [conversations, nodes, imports] = await Promise.all([db.conversations.count(), storedNodeCount(db), db.imports.count()]);
    return { conversations, nodes, imports };
  });
}

/**
 * How many nodes the vault holds, in one read: every stored node has exactly one keyword-index entry (vault-writes.ts
 * writes both in one transaction), so the index's document count is the node count. `nodes.count()` walks every row
 * in chromium, and live views asked for it after each import batch, a cost that grew with the square of the vault
 * during an import (a 20k import: 74 counts, 2.0 s of the browser process's IndexedDB work).
 */
export async function storedNodeCount(db: VaultDatabase): Promise<number> {
  return (await readIndexStats(db.searchIndex)).docCount;
}
