/* eslint-disable @typescript-eslint/require-await -- the ports are async; better-sqlite3 answers synchronously */
/**
 * The command-line device's vault: one SQLite file (better-sqlite3) holding the synced records, tombstones, the
 * engine's cursor and pending changes (the sync LocalStore, shared/sync/ports.ts) and the app's keyword index over
 * the nodes (web/src/search, through its storage port), written in the same transaction as the nodes it indexes.
 *
 *   SqliteVault.open(path, deviceId)   .store: LocalStore   .search: KeywordSearchStorage   .close()
 *
 * Writes go through one connection, one transaction at a time (a queue, as IndexedDB serialises read-write
 * transactions); search reads through a second, read-only connection, so it never sees a transaction half done
 * (WAL mode lets both run at once).
 */
import { serialize } from 'node:v8';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Conversation, MemoryNode } from '../model';
import { initialHlc } from '../sync/hlc';
import type { LocalStore, LocalTx, PendingChange, SyncCursor } from '../sync/ports';
import { sha256HexSchema } from '../sync/protocol';
import { ownerKeys, recordKey, syncRecordSchema, type SyncRecord } from '../sync/records';
import { SEGMENT_KINDS } from '../sync/segment';
import { toConversationRow, type ConversationRow, type NodeRow } from '../../web/src/db/database';
import type { KeywordSearchStorage } from '../../web/src/search/index-table';
import { appendToSearchIndex, compactSearchIndex, nodeToIndexDoc, readIndexStats, removeFromSearchIndex, type IndexDoc } from '../../web/src/search/keyword-index';
import { TitleChanges, titleSnapshotRow } from '../../web/src/search/title-index';
import { SEARCH_INDEX_SQL, SqliteIndexTable } from './sqlite-index-table';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, type TEXT NOT NULL, sort_at REAL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raws (key TEXT PRIMARY KEY, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_type ON records (type, sort_at);
CREATE TABLE IF NOT EXISTS owners (owner TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (owner, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS owners_by_key ON owners (key);
CREATE TABLE IF NOT EXISTS tombstones (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doc_ids (node_id TEXT PRIMARY KEY, doc_id INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vectors (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, model TEXT NOT NULL, dim INTEGER NOT NULL, node_id TEXT NOT NULL, scale REAL NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS vectors_by_model ON vectors (model, dim, node_id);
${SEARCH_INDEX_SQL};
`;
/** Segments per index part before they are merged (the app's import pipeline uses the same number). */
export const COMPACT_AFTER_SEGMENTS = 8;
/** Written into `meta` so a later version can migrate on open (2: vector records keep their bytes in `vectors`). */
export const SQLITE_SCHEMA_VERSION = 2;
/** Write-ahead log pages before SQLite copies them into the database: its default, and during a long import. */
const DEFAULT_WAL_PAGES = 1000;
/** Records per page when compaction reads the whole vault (conversations carry their raw export record). */
const RECORD_PAGE = 256;
const BULK_WAL_PAGES = 65_536;

const cursorSchema = z.object({
  version: z.number().int().nonnegative(),
  segments: z.array(z.object({ sha256: sha256HexSchema, size: z.number().int().nonnegative(), kind: z.enum(SEGMENT_KINDS).optional() })),
  applied: z.array(sha256HexSchema),
  hlc: z.string().min(1),
});

/**
 * A conversation's raw export record (megabytes at times) is kept in its own table, as the app keeps it, so search,
 * listings and titles never read or parse it, and the records table stays compact; `raw` null reads as ''.
 * A vector record's int8 bytes live in `vectors` (C45), where search reads them without parsing JSON; `vec` puts
 * them back as the record's base64 `data`.
 */
function parseRecord(json: string, key: string, raw: string | null = null, vec: Buffer | null = null): SyncRecord {
  const value = JSON.parse(json) as { type?: unknown; value?: Record<string, unknown>; data?: unknown };
  if (value.type === 'conversation' && value.value !== undefined) value.value.raw = raw ?? '';
  if (value.type === 'vector' && vec !== null) value.data = vec.toString('base64');
  const parsed = syncRecordSchema.safeParse(value);
  if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: `stored record ${key} does not match its schema` });
  return parsed.data;
}

function sortAt(record: SyncRecord): number | null {
  if (record.type === 'conversation') return record.value.updatedAt ?? record.value.createdAt ?? 0;
  if (record.type === 'node') return record.value.createdAt ?? 0;
  return null;
}

/** SQLite's own failures as the app's words: a full disk is a quota, anything else a failed write. */
function translate(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_FULL') return new AppError('STORAGE_QUOTA_EXCEEDED', { cause: error });
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new AppError('STORAGE_FAILED', { detail: code, cause: error });
  return error;
}

function statements(db: Database.Database) {
  return {
    getRecord: db.prepare<[string], { json: string; raw: string | null; vec: Buffer | null }>(
      'SELECT r.json, w.raw, v.data AS vec FROM records r LEFT JOIN raws w ON w.key = r.key LEFT JOIN vectors v ON v.key = r.key WHERE r.key = ?',
    ),
    putRecord: db.prepare<[string, string, number | null, string]>('INSERT OR REPLACE INTO records (key, type, sort_at, json) VALUES (?, ?, ?, ?)'),
    putRaw: db.prepare<[string, string]>('INSERT OR REPLACE INTO raws (key, raw) VALUES (?, ?)'),
    deleteRecord: db.prepare<[string]>('DELETE FROM records WHERE key = ?'),
    deleteRaw: db.prepare<[string]>('DELETE FROM raws WHERE key = ?'),
    putVector: db.prepare<[string, string, number, string, number, Buffer]>('INSERT OR REPLACE INTO vectors (key, model, dim, node_id, scale, data) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteVector: db.prepare<[string]>('DELETE FROM vectors WHERE key = ?'),
    putOwner: db.prepare<[string, string]>('INSERT OR IGNORE INTO owners (owner, key) VALUES (?, ?)'),
    deleteOwners: db.prepare<[string]>('DELETE FROM owners WHERE key = ?'),
    ownedBy: db.prepare<[string], { key: string }>('SELECT key FROM owners WHERE owner = ?'),
    hasTombstone: db.prepare<[string], { key: string }>('SELECT key FROM tombstones WHERE key = ?'),
    addTombstone: db.prepare<[string]>('INSERT OR IGNORE INTO tombstones (key) VALUES (?)'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)'),
    markPending: db.prepare<[string, number]>('INSERT OR REPLACE INTO pending (key, seq) VALUES (?, ?)'),
    pending: db.prepare<[], { key: string; seq: number }>('SELECT key, seq FROM pending ORDER BY seq'),
    clearPending: db.prepare<[string, number]>('DELETE FROM pending WHERE key = ? AND seq = ?'),
    docIdOf: db.prepare<[string], { doc_id: number }>('SELECT doc_id FROM doc_ids WHERE node_id = ?'),
    setDocId: db.prepare<[string, number]>('INSERT OR REPLACE INTO doc_ids (node_id, doc_id) VALUES (?, ?)'),
    deleteDocId: db.prepare<[string]>('DELETE FROM doc_ids WHERE node_id = ?'),
  };
}
type Statements = ReturnType<typeof statements>;

/** A vector record: its JSON without the bytes in `records`, the int8 bytes and scale in `vectors` (C45). */
function putVectorRecord(s: Statements, key: string, record: Extract<SyncRecord, { type: 'vector' }>): void {
  const bytes = Buffer.from(record.data, 'base64');
  if (bytes.length === 0) {
    s.putRecord.run(key, record.type, null, JSON.stringify(record));
    s.deleteVector.run(key);
    return;
  }
  s.putRecord.run(key, record.type, null, JSON.stringify({ ...record, data: '' }));
  s.putVector.run(key, record.model, bytes.length, record.nodeId, record.scale, bytes);
}

/** Schema 1 kept vector bytes inline in the record's JSON: move them to `vectors` once. */
function migrate(db: Database.Database): void {
  const version = Number(db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('schemaVersion')?.value ?? SQLITE_SCHEMA_VERSION);
  if (version >= 2) return;
  const s = statements(db);
  db.transaction(() => {
    for (const row of db.prepare<[], { key: string; json: string }>("SELECT key, json FROM records WHERE type = 'vector'").all()) {
      const record = parseRecord(row.json, row.key);
      if (record.type === 'vector') putVectorRecord(s, row.key, record);
    }
    s.setMeta.run('schemaVersion', String(SQLITE_SCHEMA_VERSION));
  })();
}

/** Node index changes of one transaction, applied to the keyword index before it commits (as VaultWriter does). */
class IndexChanges {
  readonly added = new Map<number, IndexDoc>();
  readonly removed: number[] = [];
  /** Conversation titles and renames written in this transaction (the title log beside the index). */
  readonly titles = new TitleChanges();
  private nextDocId: number | null = null;

  constructor(
    private readonly s: Statements,
    private readonly index: SqliteIndexTable,
  ) {}

  async put(node: MemoryNode): Promise<void> {
    const old = this.s.docIdOf.get(node.id);
    if (old !== undefined) this.forget(old.doc_id);
    this.nextDocId ??= (await readIndexStats(this.index)).nextDocId;
    const docId = this.nextDocId++;
    this.s.setDocId.run(node.id, docId);
    this.added.set(docId, nodeToIndexDoc({ ...node, docId, isActive: node.active ? 1 : 0 }));
  }

  remove(nodeId: string): void {
    const old = this.s.docIdOf.get(nodeId);
    if (old === undefined) return;
    this.forget(old.doc_id);
    this.s.deleteDocId.run(nodeId);
  }

  private forget(docId: number): void {
    if (!this.added.delete(docId)) this.removed.push(docId);
  }

  async flush(): Promise<void> {
    await this.titles.flush(this.index);
    if (this.removed.length > 0) await removeFromSearchIndex(this.index, this.removed.splice(0));
    if (this.added.size === 0) return;
    const docs = [...this.added.values()].sort((x, y) => x.docId - y.docId);
    this.added.clear();
    await appendToSearchIndex(this.index, await readIndexStats(this.index), docs);
  }
}

export class SqliteStore implements LocalStore {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly s: Statements;
  private readonly index: SqliteIndexTable;

  constructor(
    private readonly db: Database.Database,
    private readonly deviceId: string,
  ) {
    this.s = statements(db);
    this.index = new SqliteIndexTable(db);
  }

  transaction<T>(fn: (tx: LocalTx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const changes = new IndexChanges(this.s, this.index);
      // The pending sequence is read once per transaction and written once at its end (the write lock is held).
      const pending = { seq: null as number | null };
      const result = await fn(this.txOn(changes, pending));
      await changes.flush();
      if (pending.seq !== null) this.s.setMeta.run('pendingSeq', String(pending.seq));
      return result;
    });
  }

  /**
   * For a long import: the write-ahead log is copied into the database once it holds about 256 MB instead of 4 MB
   * (SQLite's default), so the pages every batch touches again are not copied and synced after every batch; `end`
   * copies it all once and empties the log.
   */
  bulkWrites(): { end(): void } {
    this.db.pragma(`wal_autocheckpoint = ${BULK_WAL_PAGES}`);
    return {
      end: () => {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        this.db.pragma(`wal_autocheckpoint = ${DEFAULT_WAL_PAGES}`);
      },
    };
  }

  /** One SQLite transaction at a time, in call order; a throw rolls it back. */
  private exclusive<T>(scope: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await scope();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw translate(error);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Merges the keyword index's segments once a part has `minSegments` of them (queries read every segment of a
   * term's part), with the app's own compaction; one transaction per group of parts.
   */
  compactIndex(minSegments = COMPACT_AFTER_SEGMENTS): Promise<{ partsMerged: number }> {
    return compactSearchIndex({ searchIndex: this.index, transaction: (_mode, _table, scope) => this.exclusive(scope) }, { minSegments });
  }

  private cursor(): SyncCursor {
    const row = this.s.getMeta.get('cursor');
    if (row === undefined) return { version: 0, segments: [], applied: [], hlc: initialHlc(this.deviceId) };
    const parsed = cursorSchema.safeParse(JSON.parse(row.value));
    if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: 'stored sync cursor does not match its schema' });
    return parsed.data;
  }

  private txOn(changes: IndexChanges, pending: { seq: number | null }): LocalTx {
    const { s } = this;
    return {
      getRecord: async (key) => {
        const row = s.getRecord.get(key);
        return row === undefined ? undefined : parseRecord(row.json, key, row.raw, row.vec);
      },
      putRecord: async (record) => {
        const key = recordKey(record);
        if (record.type === 'conversation') {
          s.putRecord.run(key, record.type, sortAt(record), JSON.stringify({ ...record, value: { ...record.value, raw: '' } }));
          s.putRaw.run(key, record.value.raw);
        } else if (record.type === 'vector') {
          putVectorRecord(s, key, record);
        } else {
          s.putRecord.run(key, record.type, sortAt(record), JSON.stringify(record));
        }
        s.deleteOwners.run(key);
        for (const owner of ownerKeys(record)) s.putOwner.run(owner, key);
        if (record.type === 'node') await changes.put(record.value);
        changes.titles.recordPut(record);
      },
      deleteRecord: async (key) => {
        s.deleteRecord.run(key);
        s.deleteRaw.run(key);
        s.deleteVector.run(key);
        s.deleteOwners.run(key);
        if (key.startsWith('node:')) changes.remove(key.slice('node:'.length));
        changes.titles.recordDeleted(key);
      },
      keysOwnedBy: async (key) => s.ownedBy.all(key).map((r) => r.key),
      hasTombstone: async (key) => s.hasTombstone.get(key) !== undefined,
      addTombstone: async (key) => void s.addTombstone.run(key),
      getCursor: async () => this.cursor(),
      setCursor: async (cursor) => void s.setMeta.run('cursor', JSON.stringify(cursorSchema.parse(cursor))),
      markPending: async (key) => {
        pending.seq = (pending.seq ?? Number(s.getMeta.get('pendingSeq')?.value ?? '0')) + 1;
        s.markPending.run(key, pending.seq);
      },
      pending: async (): Promise<PendingChange[]> => s.pending.all().map((r) => ({ key: r.key, seq: r.seq })),
      clearPending: async (acknowledged) => {
        for (const change of acknowledged) s.clearPending.run(change.key, change.seq);
      },
    };
  }

  async allRecords(): Promise<SyncRecord[]> {
    await this.queue;
    return this.db
      .prepare<[], { key: string; json: string; raw: string | null; vec: Buffer | null }>(
        'SELECT r.key, r.json, w.raw, v.data AS vec FROM records r LEFT JOIN raws w ON w.key = r.key LEFT JOIN vectors v ON v.key = r.key',
      )
      .all()
      .map((r) => parseRecord(r.json, r.key, r.raw, r.vec));
  }

  /**
   * Every record, 256 at a time in key order, each page read in its own short transaction (C17 compaction streams
   * its snapshot from here, so a vault of gigabytes is never in memory at once).
   */
  async *recordPages(): AsyncIterable<SyncRecord[]> {
    const page = this.db.prepare<[string, number], { key: string; json: string; raw: string | null; vec: Buffer | null }>(
      'SELECT r.key, r.json, w.raw, v.data AS vec FROM records r LEFT JOIN raws w ON w.key = r.key LEFT JOIN vectors v ON v.key = r.key WHERE r.key > ? ORDER BY r.key LIMIT ?',
    );
    let after = '';
    for (;;) {
      const rows = await this.exclusive(async () => page.all(after, RECORD_PAGE));
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.key;
      yield rows.map((r) => parseRecord(r.json, r.key, r.raw, r.vec));
    }
  }

  async allTombstones(): Promise<string[]> {
    await this.queue;
    return this.db
      .prepare<[], { key: string }>('SELECT key FROM tombstones')
      .all()
      .map((r) => r.key);
  }
}

/** Reads for search and the commands (show, export, list_recent) on the read-only connection. */
export class VaultReader implements KeywordSearchStorage {
  readonly searchIndex: SqliteIndexTable;
  private readonly record: Database.Statement<[string], { json: string; raw: string | null; vec: Buffer | null }>;
  private readonly docId: Database.Statement<[string], { doc_id: number }>;
  private readonly meta: Database.Statement<[string], { json: string }>;
  private readonly exists: Database.Statement<[string], { one: number }>;

  constructor(private readonly db: Database.Database) {
    this.searchIndex = new SqliteIndexTable(db);
    this.record = db.prepare('SELECT r.json, w.raw, v.data AS vec FROM records r LEFT JOIN raws w ON w.key = r.key LEFT JOIN vectors v ON v.key = r.key WHERE r.key = ?');
    this.docId = db.prepare('SELECT doc_id FROM doc_ids WHERE node_id = ?');
    this.meta = db.prepare('SELECT json FROM records WHERE key = ?');
    this.exists = db.prepare('SELECT 1 AS one FROM records WHERE key = ?');
  }

  get(key: string): SyncRecord | undefined {
    const row = this.record.get(key);
    return row === undefined ? undefined : parseRecord(row.json, key, row.raw, row.vec);
  }

  conversation(id: string): Conversation | undefined {
    const record = this.get(`conversation:${id}`);
    return record?.type === 'conversation' ? record.value : undefined;
  }

  /** A conversation without its raw export record (search, listings and titles never need it): `raw` is ''. */
  conversationMeta(id: string): Conversation | undefined {
    const key = `conversation:${id}`;
    const row = this.meta.get(key);
    if (row === undefined) return undefined;
    const record = parseRecord(row.json, key);
    return record.type === 'conversation' ? record.value : undefined;
  }

  /** Whether the node is stored (the importer's duplicate check: one index lookup, nothing parsed). */
  hasNode(id: string): boolean {
    return this.exists.get(`node:${id}`) !== undefined;
  }

  node(id: string): MemoryNode | undefined {
    const record = this.get(`node:${id}`);
    return record?.type === 'node' ? record.value : undefined;
  }

  /** The nodes of a conversation in reading order. */
  nodesOf(conversationId: string): MemoryNode[] {
    return this.db
      .prepare<[string], { key: string; json: string }>("SELECT r.key, r.json FROM owners o JOIN records r ON r.key = o.key WHERE o.owner = ? AND r.type = 'node'")
      .all(`conversation:${conversationId}`)
      .map((r) => parseRecord(r.json, r.key))
      .flatMap((r) => (r.type === 'node' ? [r.value] : []))
      .sort((a, b) => a.ordinal - b.ordinal);
  }

  /**
   * Records of one type, most recent first (conversations and nodes by time; others in key order). Conversations
   * come without their raw export record unless `withRaw`.
   */
  list(type: SyncRecord['type'], limit: number, offset = 0, withRaw = false): SyncRecord[] {
    return this.db
      .prepare<[string, number, number], { key: string; json: string; raw: string | null }>(
        `SELECT r.key, r.json, ${withRaw ? 'w.raw' : 'NULL AS raw'} FROM records r ${withRaw ? 'LEFT JOIN raws w ON w.key = r.key' : ''} WHERE r.type = ? ORDER BY r.sort_at DESC, r.key LIMIT ? OFFSET ?`,
      )
      .all(type, limit, offset)
      .map((r) => parseRecord(r.json, r.key, r.raw));
  }

  count(type: SyncRecord['type']): number {
    return this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM records WHERE type = ?').get(type)?.n ?? 0;
  }

  pendingCount(): number {
    return this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM pending').get()?.n ?? 0;
  }

  cursorVersion(): number {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('cursor');
    return row === undefined ? 0 : cursorSchema.shape.version.parse((JSON.parse(row.value) as { version?: unknown }).version);
  }

  /** Stored vectors per model and size (C45), most first. */
  vectorModels(): { model: string; dim: number; count: number }[] {
    return this.db.prepare<[], { model: string; dim: number; count: number }>('SELECT model, dim, count(*) AS count FROM vectors GROUP BY model, dim ORDER BY count DESC').all();
  }

  /** The int8 vectors of one model and size stored after row `afterRow` (row numbers only grow), in row order. */
  vectorsAfter(model: string, dim: number, afterRow: number): IterableIterator<{ seq: number; nodeId: string; scale: number; data: Buffer }> {
    return this.db
      .prepare<[string, number, number], { seq: number; nodeId: string; scale: number; data: Buffer }>(
        'SELECT seq, node_id AS nodeId, scale, data FROM vectors WHERE model = ? AND dim = ? AND seq > ? ORDER BY seq',
      )
      .iterate(model, dim, afterRow);
  }

  /** Ids of the nodes that have no vector of this model and size, in key order. */
  nodesWithoutVector(model: string, dim: number): string[] {
    return this.db
      .prepare<[string, number], { id: string }>(
        "SELECT substr(r.key, 6) AS id FROM records r WHERE r.type = 'node' AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model = ? AND v.dim = ? AND v.node_id = substr(r.key, 6)) ORDER BY r.key",
      )
      .all(model, dim)
      .map((r) => r.id);
  }

  readonly nodes = {
    bulkGet: async (ids: string[]): Promise<(NodeRow | undefined)[]> =>
      ids.map((id) => {
        const node = this.node(id);
        const doc = node === undefined ? undefined : this.docId.get(id);
        return node === undefined || doc === undefined ? undefined : { ...node, docId: doc.doc_id, isActive: node.active ? 1 : 0 };
      }),
  };

  readonly conversations = {
    bulkGet: async (ids: string[]): Promise<(ConversationRow | undefined)[]> =>
      ids.map((id) => {
        const conversation = this.conversationMeta(id);
        return conversation === undefined ? undefined : toConversationRow(conversation).row;
      }),
  };
}

export interface SqliteVault {
  store: SqliteStore;
  reader: VaultReader;
  close(): void;
}

const titleOfRecord = z.object({ value: z.object({ id: z.string(), title: z.string() }) });

/**
 * Conversation titles are searchable (web/src/search/title-index.ts) through a title log beside the index. A vault
 * file from before it gets the log once, as one snapshot of every conversation's title and rename.
 */
function startTitleLog(db: Database.Database): void {
  if (db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get('titleLog') !== undefined) return;
  db.transaction(() => {
    const conversations = db
      .prepare<[], { json: string }>("SELECT json FROM records WHERE type = 'conversation'")
      .all()
      .flatMap((r) => {
        const parsed = titleOfRecord.safeParse(JSON.parse(r.json));
        return parsed.success ? [parsed.data.value] : [];
      });
    const renames = db
      .prepare<[], { key: string; json: string }>("SELECT key, json FROM records WHERE key >= 'lww:title:' AND key < 'lww:title;'")
      .all()
      .map((r): { conversationId: string; record: unknown } => ({ conversationId: r.key.slice('lww:title:'.length), record: JSON.parse(r.json) }));
    const row = titleSnapshotRow(conversations, renames);
    const hasLog = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM search_index WHERE part = 'titles'").get()?.n ?? 0;
    if (row.ids.length > 0 && hasLog === 0) db.prepare<[string, number, Buffer]>('INSERT INTO search_index (part, seg, row) VALUES (?, ?, ?)').run(row.part, row.seg, serialize(row));
    db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run('titleLog', '1');
  })();
}

/** Opens (creating if needed) the vault file at `path` for `deviceId`. */
export function openSqliteVault(path: string, deviceId: string): SqliteVault {
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // 64 MiB of pages (SQLite's default is 2 MiB): an import looks up ids all over indexes of hundreds of megabytes.
    db.pragma('cache_size = -65536');
    db.exec(SCHEMA);
    migrate(db);
    db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run('schemaVersion', String(SQLITE_SCHEMA_VERSION));
    startTitleLog(db);
  } catch (error) {
    throw new AppError('STORAGE_FAILED', { detail: `cannot open ${path}: ${error instanceof Error ? error.message : String(error)}`, cause: error });
  }
  const store = new SqliteStore(db, deviceId);
  const read = new Database(path, { readonly: true });
  read.pragma('busy_timeout = 5000');
  const reader = new VaultReader(read);
  return {
    store,
    reader,
    close: () => {
      read.close();
      db.close();
    },
  };
}
