/**
 * The vault's IndexedDB database (Dexie). ONE module keeps every schema version and its upgrade; nothing else in
 * the app calls `version()`. Rows are read through the zod schemas below at the boundaries that need it.
 *
 * Public API (other modules and engineers use only this):
 *   openVaultDatabase(options?: OpenVaultOptions): Promise<VaultDatabase>   // opens (and upgrades) the database
 *   class VaultDatabase extends Dexie { conversations, conversationRaws, nodes, vectors, imports, settings, syncState, searchIndex,
 *     memories, syncRecords, syncTombstones, syncPending }
 *   toConversationRow(c: Conversation): { row, raw } / fromConversationRow(row, raw): Conversation
 *   DEFAULT_DATABASE_NAME = 'cogzy-vault'
 *   translateStorageError(error: unknown): AppError                    // IndexedDB/Dexie failure -> shared code
 *   withStorageErrors<T>(work: () => Promise<T>): Promise<T>           // runs work, rethrows translated AppError
 *   putVectorBlock(db, block: VectorBlockInput): Promise<number>       // packed vectors (embeddings engineer)
 *   vectorBlocks(db, modelId: string, dim: number): Promise<VectorBlockRow[]>
 *   Row types: ConversationRow, NodeRow, ImportRow (importRowSchema), VectorBlockRow, SettingRow, SyncStateRow,
 *   SearchIndexRow (owned by web/src/search/keyword-index.ts).
 *
 * Versions:
 *   v1  conversations, nodes (keyed by content hash), imports, settings, syncState.
 *   v2  adds the persisted keyword index (searchIndex) and packed vectors (vectors); every node gets a numeric
 *       `docId` (what the keyword index stores) and an indexable `isActive` flag (IndexedDB cannot index booleans);
 *       conversations lose their raw record to `conversationRaws` and gain `sortAt` / `titleKey` sort keys.
 *       The upgrade numbers existing nodes and builds their keyword index once, so no start-up ever rebuilds it.
 *   v3  adds `memories`: what the person asked the vault to remember (ask-memory context); no data to migrate.
 *       Since sync, memories are synced records: vault/memories.ts moves these rows into them once and empties it.
 *   v4  sync (web/src/sync/dexie-store.ts): `syncRecords` (synced records that have no table of their own: vectors
 *       of the remote model, titles/pins/tags/settings, memories, note versions, with the keys that own them),
 *       `syncTombstones` and `syncPending`; vectors gain a multi-entry `nodeIds` index so deleting a node finds
 *       its vectors without reading every block. The cursor is a `syncState` row. No data to migrate.
 *   v5  conversation titles in the keyword index's table (part `titles`, search/title-index.ts): the upgrade writes
 *       one snapshot of every conversation's title and rename. No schema change.
 *   v6  nodes keep only the indexes something queries (`id`, `[conversationId+ordinal]`, which also serves
 *       `where('conversationId')`): `provider`, `createdAt` and `isActive` cost a write each per imported node and
 *       nothing read them (bench/search.bench.ts). Rows keep their `isActive` field. IndexedDB drops the indexes
 *       in the upgrade; no data to migrate. `syncPending` may also hold one row per import batch listing many
 *       keys (db/sync-bookkeeping.ts); older rows are unchanged.
 *   v7  nodes move into chunk rows of up to 8 (db/node-store.ts: `nodeData`, each node as JSON), read and written
 *       only through `db.nodes` (a NodeStore): an import wrote one IndexedDB request per node, and the cost of a
 *       write is per request. The upgrade moves every node row (docId and all), in conversation order, into chunks
 *       numbered -1, -2, … (new chunks take their first node's docId, which is positive) and drops `nodes`; the
 *       page shows its progress (OpenVaultOptions.onUpgradeProgress). Measured at 100k nodes: 42 s at load 7.
 *   v8  `warmSnapshots`: the keyword index's postings rows packed in one Blob (search/warm-snapshot.ts), which a
 *       search session reads at open in one request instead of one per row. A cache: no data to migrate.
 */
import Dexie, { type Table, type Transaction } from 'dexie';
import { z } from 'zod';
import { AppError, appErrorDataSchema, isAppError } from '../../../shared/errors';
import type { Conversation, MemoryNode } from '../../../shared/model';
import { providerSchema } from '../../../shared/model';
import { backfillSearchIndex, type DocsRow, type SearchIndexRow } from '../search/keyword-index';
import { titleSnapshotRow } from '../search/title-index';
import type { WarmSnapshotRow } from '../search/warm-snapshot';
import { NodeStore, prepareChunks, type NodeDataRow } from './node-store';

export const DEFAULT_DATABASE_NAME = 'cogzy-vault';

/**
 * A conversation as stored, without its raw export record (which can be megabytes: it lives in
 * `conversationRaws` so listing thousands of conversations never loads it), plus sort keys IndexedDB can index
 * (null is not a valid key, so a conversation without a time would vanish from a date-ordered index).
 */
export interface ConversationRow extends Omit<Conversation, 'raw'> {
  /** createdAt, else updatedAt, else 0. */
  sortAt: number;
  /** Lower-cased title for sorting by title. */
  titleKey: string;
}

export interface ConversationRawRow {
  id: string;
  raw: string;
}

export function toConversationRow(conversation: Conversation): { row: ConversationRow; raw: ConversationRawRow } {
  const { raw, ...rest } = conversation;
  return {
    row: { ...rest, sortAt: conversation.createdAt ?? conversation.updatedAt ?? 0, titleKey: conversation.title.toLocaleLowerCase() },
    raw: { id: conversation.id, raw },
  };
}

export function fromConversationRow(row: ConversationRow, raw: string): Conversation {
  const { sortAt: _sortAt, titleKey: _titleKey, ...rest } = row;
  return { ...rest, raw };
}

/** A memory node as stored: the domain object plus the local keyword-index number and an indexable active flag. */
export interface NodeRow extends MemoryNode {
  /** Local, dense, never reused number of this node in the keyword index (not synced: each device numbers its own). */
  docId: number;
  isActive: 0 | 1;
}

export const IMPORT_STATUSES = ['pending', 'processing', 'complete', 'failed', 'cancelled', 'interrupted'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export const importRowSchema = z.object({
  id: z.number().int(),
  fileName: z.string(),
  /** Known once the importer has detected the file's provider. */
  provider: providerSchema.nullable(),
  bytes: z.number().nonnegative(),
  /** Cheap identity of the file (size + SHA-256 of its first MiB) so picking the same file again can resume. */
  fileKey: z.string(),
  status: z.enum(IMPORT_STATUSES),
  progress: z.object({
    bytesRead: z.number().nonnegative(),
    conversations: z.number().int().nonnegative(),
    nodes: z.number().int().nonnegative(),
  }),
  /** The importer's opaque resume point, written in the same transaction as the batch it follows. */
  checkpoint: z.unknown().nullable(),
  counts: z.object({
    /** Nodes new to the vault. */
    created: z.number().int().nonnegative(),
    /** Nodes already in the vault (same content hash). */
    deduplicated: z.number().int().nonnegative(),
    /** Records the importer could not read (by reason in `skippedByReason`). */
    skipped: z.number().int().nonnegative(),
    conversationsCreated: z.number().int().nonnegative(),
    conversationsUpdated: z.number().int().nonnegative(),
    /** Exchanges left out because the person had deleted them (sync tombstones, C21); rows from before read 0. */
    skippedDeleted: z.number().int().nonnegative().default(0),
  }),
  skippedByReason: z.record(z.string(), z.number().int().nonnegative()),
  /** Warning counts by kind (the record was still imported). */
  warnings: z.record(z.string(), z.number().int().nonnegative()),
  error: appErrorDataSchema.nullable(),
  /** Non-fatal problems worth a sentence (e.g. one conversation too large to read), once per code. */
  notices: z.array(appErrorDataSchema).default([]),
  timings: z.object({
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    /** Time spent parsing vs writing, for the history view and the benchmarks. */
    parseMs: z.number().nonnegative(),
    writeMs: z.number().nonnegative(),
  }),
});
export type ImportRow = z.infer<typeof importRowSchema>;

/** One packed block of vectors for one embedding model (one row per batch, never one row per vector). */
export interface VectorBlockRow {
  id?: number;
  modelId: string;
  dim: number;
  dtype: 'float32' | 'int8';
  /** Node ids (content hashes), in the order of the vectors in `data`. */
  nodeIds: string[];
  /** `nodeIds.length * dim` values of `dtype`. */
  data: ArrayBuffer;
  /** For int8 blocks: one scale per vector (value = int8 * scale); null for float32. */
  scales: Float32Array | null;
  createdAt: number;
}
export type VectorBlockInput = Omit<VectorBlockRow, 'id'>;

/** A memory saved before sync (v3); vault/memories.ts moves it into a synced memory record and deletes the row. */
export interface MemoryRow {
  id: string;
  text: string;
  /** The chat exchange it was saved from, if any. */
  source: { conversationId: string; nodeId: string } | null;
  createdAt: number;
  updatedAt: number;
}

export interface SettingRow {
  key: string;
  value: unknown;
}

export interface SyncStateRow {
  key: string;
  value: unknown;
}

/** A synced record kept as is (owned by web/src/sync/dexie-store.ts); `owners` are the keys whose deletion deletes it. */
export interface SyncRecordRow {
  key: string;
  owners: string[];
  record: unknown;
}

/**
 * A record key changed locally and not yet acknowledged by a commit, with the change number that made it; or (v6)
 * one row for many keys, written by an import batch: `keys[i]` has change number `seq + i`, '' once acknowledged.
 * Read them through db/sync-bookkeeping.ts (`readPendingChanges`), never directly.
 */
export interface SyncPendingRow {
  key: string;
  seq: number;
  keys?: string[];
}

export interface OpenVaultOptions {
  name?: string;
  /** Inject an IndexedDB implementation (node tests: fake-indexeddb). Defaults to the global one. */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** 'disabled' in the import worker: it writes far more than it reads back. */
  cache?: 'immutable' | 'cloned' | 'disabled';
  /**
   * Told how far a long upgrade is (the v7 move of every node into chunks), after each step: `done` of `total`
   * nodes. The page shows it while the vault opens.
   */
  onUpgradeProgress?: (progress: UpgradeProgress) => void;
}

export interface UpgradeProgress {
  done: number;
  total: number;
}

export class VaultDatabase extends Dexie {
  conversations!: Table<ConversationRow, string>;
  conversationRaws!: Table<ConversationRawRow, string>;
  /** Every node read and write (v7: chunk rows, see db/node-store.ts). */
  readonly nodes: NodeStore;
  nodeData!: Table<NodeDataRow, number>;
  vectors!: Table<VectorBlockRow, number>;
  imports!: Table<ImportRow, number>;
  settings!: Table<SettingRow, string>;
  syncState!: Table<SyncStateRow, string>;
  searchIndex!: Table<SearchIndexRow, [string, number]>;
  memories!: Table<MemoryRow, string>;
  syncRecords!: Table<SyncRecordRow, string>;
  syncTombstones!: Table<{ key: string }, string>;
  syncPending!: Table<SyncPendingRow, string>;
  /** v8: the keyword index's postings in one Blob, a cache keyword search reads at open (search/warm-snapshot.ts). */
  warmSnapshots!: Table<WarmSnapshotRow, string>;

  constructor(options: OpenVaultOptions = {}) {
    super(options.name ?? DEFAULT_DATABASE_NAME, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      cache: options.cache ?? 'cloned',
      // Every write is an import batch that can be replayed from the file; atomicity is unaffected.
      chromeTransactionDurability: 'relaxed',
    });
    defineSchema(this, options.onUpgradeProgress);
    this.nodes = new NodeStore(this);
  }
}

/** Every schema version, oldest first. Never edit a released version: add the next one with its upgrade. */
function defineSchema(db: Dexie, onUpgradeProgress?: (progress: UpgradeProgress) => void): void {
  db.version(1).stores({
    conversations: 'id, provider, createdAt, updatedAt, title',
    nodes: 'id, [conversationId+ordinal], conversationId, provider, createdAt',
    imports: '++id, status, fileKey',
    settings: 'key',
    syncState: 'key',
  });

  db.version(2)
    .stores({
      conversations: 'id, provider, sortAt, titleKey, [provider+sortAt]',
      conversationRaws: 'id',
      // Every index costs a write per node on import; `where('conversationId')` is served by the compound index,
      // and docId needs none (the keyword index maps docId -> node id itself).
      nodes: 'id, [conversationId+ordinal], provider, createdAt, isActive',
      vectors: '++id, [modelId+dim], modelId',
      searchIndex: '[part+seg]',
    })
    .upgrade(async (tx: Transaction) => {
      await upgradeConversationsToV2(tx);
      await upgradeNodesToV2(tx);
    });

  db.version(3).stores({ memories: 'id, updatedAt' });

  db.version(4).stores({
    vectors: '++id, [modelId+dim], modelId, *nodeIds',
    syncRecords: 'key, *owners',
    syncTombstones: 'key',
    syncPending: 'key, seq',
  });

  // v5: conversation titles become searchable (search/title-index.ts): the title log starts as one snapshot of
  // every conversation's imported title and every rename. No schema change.
  db.version(5).stores({}).upgrade(async (tx: Transaction) => {
    const conversations = await tx.table<ConversationRow, string>('conversations').toArray();
    const renames = await tx.table<SyncRecordRow, string>('syncRecords').where('key').startsWith('lww:title:').toArray();
    const row = titleSnapshotRow(
      conversations.map((c) => ({ id: c.id, title: c.title })),
      renames.map((r) => ({ conversationId: r.key.slice('lww:title:'.length), record: r.record })),
    );
    if (row.ids.length > 0) await tx.table<SearchIndexRow, [string, number]>('searchIndex').put(row);
  });

  // v6: only the node indexes something queries (see the header). No data to migrate.
  db.version(6).stores({ nodes: 'id, [conversationId+ordinal]' });

  // v7: nodes in chunk rows (see the header and db/node-store.ts).
  db.version(7)
    .stores({ nodes: null, nodeData: 'id, &*ids, *conversationIds' })
    .upgrade((tx: Transaction) => upgradeNodesToChunks(tx, onUpgradeProgress));

  // v8: the keyword index's warm snapshot (search/warm-snapshot.ts): a cache, written by the import worker after its
  // merge and by a search session that had to read the index row by row. No data to migrate.
  db.version(8).stores({ warmSnapshots: 'id' });
}

/** Node rows read per step of the v7 upgrade (a page at a time: a large vault never sits in memory at once). */
const UPGRADE_PAGE = 2000;

type ThreadKey = [string, number];

/**
 * v6 -> v7: every node row, unchanged, into chunks numbered -1, -2, … A page at a time in conversation and ordinal
 * order (the v6 index), so a conversation's nodes share chunks as an import writes them: the reader then opens a
 * conversation in one or two chunk reads. Branches share ordinals, so a page can end inside a run of equal keys: the
 * next page starts at that key again and skips the ids already moved. Then the keyword index's docs rows record
 * each node's chunk (DocsRow.chunks), as a write since v7 does.
 */
async function upgradeNodesToChunks(tx: Transaction, onProgress?: (progress: UpgradeProgress) => void): Promise<void> {
  const placed = new Map<string, number>();
  await moveNodesToChunks(tx, placed, onProgress);
  const index = tx.table<SearchIndexRow, [string, number]>('searchIndex');
  const docs = (await index.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).toArray()).filter((row): row is DocsRow => row.kind === 'docs');
  for (const row of docs) {
    const ids = row.nodeIds === '' ? [] : row.nodeIds.split('\n');
    row.chunks = Int32Array.from(ids, (id) => placed.get(id) ?? 0);
  }
  await index.bulkPut(docs);
}

async function moveNodesToChunks(tx: Transaction, placed: Map<string, number>, onProgress?: (progress: UpgradeProgress) => void): Promise<void> {
  const nodes = tx.table<NodeRow, string>('nodes');
  const data = tx.table<NodeDataRow, number>('nodeData');
  const total = await nodes.count();
  let done = 0;
  let next = -1;
  const move = async (page: NodeRow[]): Promise<void> => {
    const prepared = prepareChunks(page);
    for (const chunk of prepared) {
      chunk.id = next--;
      for (const id of chunk.ids) placed.set(id, chunk.id);
    }
    await data.bulkAdd(prepared);
    done += page.length;
    onProgress?.({ done, total });
  };
  let last: ThreadKey | null = null;
  let movedAtLast = new Set<string>();
  for (;;) {
    const read: NodeRow[] =
      last === null
        ? await nodes.orderBy('[conversationId+ordinal]').limit(UPGRADE_PAGE).toArray()
        : await nodes.where('[conversationId+ordinal]').aboveOrEqual(last).limit(UPGRADE_PAGE + movedAtLast.size).toArray();
    const seen = movedAtLast;
    const page = read.filter((row) => !seen.has(row.id));
    const tail = page[page.length - 1];
    if (!tail) break;
    const key: ThreadKey = [tail.conversationId, tail.ordinal];
    const sameKey = last !== null && last[0] === key[0] && last[1] === key[1];
    movedAtLast = new Set(sameKey ? movedAtLast : []);
    for (const row of page) if (row.conversationId === key[0] && row.ordinal === key[1]) movedAtLast.add(row.id);
    last = key;
    await move(page);
  }
  if (done === total) return;
  // A row without a valid [conversationId+ordinal] key is not in that index. None should exist, but the `nodes`
  // table is dropped after this: they are found by primary key and moved too, never lost.
  let after: string | null = null;
  for (;;) {
    const read: NodeRow[] = await (after === null ? nodes.orderBy(':id') : nodes.where(':id').above(after)).limit(UPGRADE_PAGE).toArray();
    const tail = read[read.length - 1];
    if (!tail) return;
    after = tail.id;
    const unkeyed = read.filter((row) => typeof row.conversationId !== 'string' || typeof row.ordinal !== 'number' || Number.isNaN(row.ordinal));
    if (unkeyed.length > 0) await move(unkeyed);
  }
}

/** v1 -> v2: move each raw record out of the conversation row and add the sort keys. */
async function upgradeConversationsToV2(tx: Transaction): Promise<void> {
  const conversations = tx.table<Conversation | ConversationRow, string>('conversations');
  const rows = await conversations.toArray();
  const split = rows.map((row) => toConversationRow({ raw: '', ...row }));
  await tx.table<ConversationRawRow, string>('conversationRaws').bulkPut(
    rows.map((row) => ({ id: row.id, raw: 'raw' in row && typeof row.raw === 'string' ? row.raw : '' })),
  );
  await conversations.bulkPut(split.map((s) => s.row));
}

/** v1 -> v2: number every node (in conversation order, so search ties read naturally) and index it. */
async function upgradeNodesToV2(tx: Transaction): Promise<void> {
  const nodes = tx.table<NodeRow, string>('nodes');
  const all = await nodes.orderBy('[conversationId+ordinal]').toArray();
  let docId = 1;
  for (const node of all) {
    node.docId = docId++;
    node.isActive = node.active ? 1 : 0;
  }
  await nodes.bulkPut(all);
  await backfillSearchIndex(tx.table<SearchIndexRow, [string, number]>('searchIndex'), all);
}

/** Opens the vault, upgrading it if needed; failures come back as AppError with a shared code. */
export async function openVaultDatabase(options: OpenVaultOptions = {}): Promise<VaultDatabase> {
  const db = new VaultDatabase(options);
  try {
    await db.open();
  } catch (error) {
    db.close();
    throw translateStorageError(error);
  }
  return db;
}

/**
 * Translates IndexedDB / Dexie failures into the shared vocabulary. Dexie wraps the DOMException of a failed
 * transaction as AbortError with the real cause in `inner`, so the whole chain is inspected.
 */
export function translateStorageError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const names = errorNames(error);
  const detail = describe(error);
  if (names.includes('QuotaExceededError')) return new AppError('STORAGE_QUOTA_EXCEEDED', { detail, cause: error });
  if (names.includes('MissingAPIError') || names.includes('InvalidStateError') || names.includes('SecurityError')) {
    return new AppError('STORAGE_UNAVAILABLE', { detail, cause: error });
  }
  if (names.includes('VersionError') || names.includes('BlockedError')) {
    return new AppError('STORAGE_UPGRADE_BLOCKED', { detail, cause: error });
  }
  return new AppError('STORAGE_FAILED', { detail, cause: error });
}

/** Runs storage work and rethrows any failure as a translated AppError (expected failures stay AppErrors). */
export async function withStorageErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateStorageError(error);
  }
}

function errorNames(error: unknown): string[] {
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const record = current as { name?: unknown; inner?: unknown; cause?: unknown };
    if (typeof record.name === 'string') names.push(record.name);
    current = record.inner ?? record.cause;
  }
  return names;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}

export async function putVectorBlock(db: VaultDatabase, block: VectorBlockInput): Promise<number> {
  if (block.data.byteLength !== block.nodeIds.length * block.dim * (block.dtype === 'float32' ? 4 : 1)) {
    throw new AppError('INTERNAL', { detail: 'vector block size does not match nodeIds x dim' });
  }
  return withStorageErrors(() => db.vectors.add(block));
}

export async function vectorBlocks(db: VaultDatabase, modelId: string, dim: number): Promise<VectorBlockRow[]> {
  return withStorageErrors(() => db.vectors.where('[modelId+dim]').equals([modelId, dim]).toArray());
}
