/* eslint-disable @typescript-eslint/require-await -- the port is async; better-sqlite3 answers synchronously */
/**
 * The keyword index's storage port (web/src/search/index-table.ts) over a SQLite table, for the command-line
 * device. Rows keep their typed arrays through node's structured-clone serializer (v8.serialize), as IndexedDB
 * keeps them through the browser's. Writes join whatever transaction is open on the connection.
 */
import { deserialize, serialize } from 'node:v8';
import type Database from 'better-sqlite3';
import type { SearchIndexKey, SearchIndexRange, SearchIndexTable } from '../../web/src/search/index-table';
import type { SearchIndexRow } from '../../web/src/search/keyword-index';

export const SEARCH_INDEX_SQL = 'CREATE TABLE IF NOT EXISTS search_index (part TEXT NOT NULL, seg INTEGER NOT NULL, row BLOB NOT NULL, PRIMARY KEY (part, seg)) WITHOUT ROWID';

const KINDS = new Set(['stats', 'postings', 'lexicon', 'docs', 'titles']);

/** [part, seg] from `lower` (inclusive) to `upper` (exclusive) in compound-key order (parts compare as binary text). */
const RANGE = '(part > ? OR (part = ? AND seg >= ?)) AND (part < ? OR (part = ? AND seg < ?))';
type RangeArgs = [string, string, number, string, string, number];

function decode(blob: Buffer): SearchIndexRow {
  const value: unknown = deserialize(blob);
  // Rows are written only by serialize() below; the kind check guards against a foreign or damaged database file.
  if (typeof value !== 'object' || value === null || !KINDS.has(String((value as { kind?: unknown }).kind))) {
    throw new Error('search_index row of an unknown kind');
  }
  return value as SearchIndexRow;
}

/**
 * A segment bound as IndexedDB orders keys: numbers (Dexie.minKey is -Infinity) as they are; every other key type
 * (Dexie.maxKey is a string) sorts after all numbers.
 */
const bound = (value: unknown): number => (typeof value === 'number' ? value : Number.POSITIVE_INFINITY);

export class SqliteIndexTable implements SearchIndexTable {
  private readonly getOne: Database.Statement<[string, number], { row: Buffer }>;
  private readonly putOne: Database.Statement<[string, number, Buffer]>;
  private readonly deleteOne: Database.Statement<[string, number]>;
  private readonly rangeRows: Database.Statement<RangeArgs, { row: Buffer }>;
  private readonly rangeKeys: Database.Statement<RangeArgs, { part: string; seg: number }>;
  private readonly allKeys: Database.Statement<[], { part: string; seg: number }>;

  /** The `search_index` table must exist (SEARCH_INDEX_SQL): a read-only connection cannot create it. */
  constructor(private readonly db: Database.Database) {
    this.getOne = db.prepare('SELECT row FROM search_index WHERE part = ? AND seg = ?');
    this.putOne = db.prepare('INSERT OR REPLACE INTO search_index (part, seg, row) VALUES (?, ?, ?)');
    this.deleteOne = db.prepare('DELETE FROM search_index WHERE part = ? AND seg = ?');
    this.rangeRows = db.prepare(`SELECT row FROM search_index WHERE ${RANGE} ORDER BY part, seg`);
    this.rangeKeys = db.prepare(`SELECT part, seg FROM search_index WHERE ${RANGE} ORDER BY part, seg`);
    this.allKeys = db.prepare('SELECT part, seg FROM search_index ORDER BY part, seg');
  }

  async get([part, seg]: SearchIndexKey): Promise<SearchIndexRow | undefined> {
    const found = this.getOne.get(part, seg);
    return found === undefined ? undefined : decode(found.row);
  }

  async bulkGet(keys: SearchIndexKey[]): Promise<(SearchIndexRow | undefined)[]> {
    return keys.map(([part, seg]) => {
      const found = this.getOne.get(part, seg);
      return found === undefined ? undefined : decode(found.row);
    });
  }

  async put(row: SearchIndexRow): Promise<SearchIndexKey> {
    this.putOne.run(row.part, row.seg, serialize(row));
    return [row.part, row.seg];
  }

  async bulkPut(rows: readonly SearchIndexRow[]): Promise<void> {
    this.db.transaction(() => {
      for (const row of rows) this.putOne.run(row.part, row.seg, serialize(row));
    })();
  }

  async delete([part, seg]: SearchIndexKey): Promise<void> {
    this.deleteOne.run(part, seg);
  }

  async bulkDelete(keys: SearchIndexKey[]): Promise<void> {
    this.db.transaction(() => {
      for (const [part, seg] of keys) this.deleteOne.run(part, seg);
    })();
  }

  /** Every key, for compaction. */
  toCollection(): { primaryKeys(): Promise<SearchIndexKey[]> } {
    return { primaryKeys: async () => this.allKeys.all().map((r): SearchIndexKey => [r.part, r.seg]) };
  }

  where(index: '[part+seg]'): { between(lower: [string, unknown], upper: [string, unknown]): SearchIndexRange } {
    if (index !== '[part+seg]') throw new Error(`no index ${String(index)}`);
    return {
      between: (lower, upper) => {
        const args: RangeArgs = [lower[0], lower[0], bound(lower[1]), upper[0], upper[0], bound(upper[1])];
        return {
          toArray: async () => this.rangeRows.all(...args).map((r) => decode(r.row)),
          primaryKeys: async () => this.rangeKeys.all(...args).map((r): SearchIndexKey => [r.part, r.seg]),
        };
      },
    };
  }
}
