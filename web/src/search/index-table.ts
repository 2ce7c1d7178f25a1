/**
 * The storage port of the keyword index: the few table operations keyword-index.ts performs on rows keyed by
 * [part, seg]. It is the matching subset of Dexie's Table API, so the app's `db.searchIndex` is an adapter as it
 * stands; the command-line device passes a SQLite one (shared/cli/sqlite-index-table.ts). Both run
 * tests/unit/search-index-table.contract.ts.
 *
 * Ranges are compound-key ranges as Dexie reads them: from `lower` (inclusive) to `upper` (exclusive), where a
 * segment bound that is not a number (Dexie.minKey, Dexie.maxKey) means "from the first" / "to the last".
 */
import type { ConversationRow, NodeRow } from '../db/database';
import type { SearchIndexRow } from './keyword-index';
import type { WarmSnapshotStore } from './warm-snapshot';

export type SearchIndexKey = [string, number];

export interface SearchIndexRange {
  toArray(): Promise<SearchIndexRow[]>;
  primaryKeys(): Promise<SearchIndexKey[]>;
}

export interface SearchIndexTable {
  get(key: SearchIndexKey): Promise<SearchIndexRow | undefined>;
  bulkGet(keys: SearchIndexKey[]): Promise<(SearchIndexRow | undefined)[]>;
  put(row: SearchIndexRow): Promise<unknown>;
  bulkPut(rows: readonly SearchIndexRow[]): Promise<unknown>;
  delete(key: SearchIndexKey): Promise<void>;
  bulkDelete(keys: SearchIndexKey[]): Promise<void>;
  where(index: '[part+seg]'): { between(lower: [string, unknown], upper: [string, unknown]): SearchIndexRange };
}

/** What keyword search reads besides the index: stored nodes and conversations by id (a VaultDatabase is one). */
export interface KeywordSearchStorage {
  searchIndex: SearchIndexTable;
  nodes: {
    bulkGet(ids: string[]): Promise<(NodeRow | undefined)[]>;
    /**
     * By id with the chunk the index recorded for each (0: none), where nodes are stored in chunks (db/node-store.ts);
     * `version` (keyword-index.ts indexVersion of the statistics ranked with) lets it answer from chunks it kept.
     */
    bulkGetPlaced?(ids: string[], chunks: number[], version?: string): Promise<(NodeRow | undefined)[]>;
  };
  conversations: { bulkGet(ids: string[]): Promise<(ConversationRow | undefined)[]> };
  /** Where the warm-up keeps its snapshot of the postings rows (search/warm-snapshot.ts); the app's vault has one. */
  warmSnapshots?: WarmSnapshotStore;
}

/** What compaction needs: the index table with every key listed, and a read-write transaction over it (a VaultDatabase is one). */
export interface CompactableSearchIndex {
  searchIndex: SearchIndexTable & { toCollection(): { primaryKeys(): Promise<SearchIndexKey[]> } };
  /** `table` is the searchIndex table itself (Dexie names the tables a transaction covers). */
  transaction(mode: 'rw', table: unknown, scope: () => Promise<void>): Promise<unknown>;
}
