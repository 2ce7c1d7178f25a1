/**
 * The one write path for conversations and nodes: import and sync both go through it, so a node is never stored
 * without its keyword-index entry, and a deleted node leaves the index and the stored vectors in the same
 * transaction as its row.
 *
 *   VAULT_WRITE_TABLES                                        // what a transaction around a VaultWriter must cover
 *   writeVault(db, work: (writer: VaultWriter) => Promise<T>): Promise<T>   // one rw transaction, then flushed
 *   putConversations(db, conversations), deleteConversations(db, ids)       // one transaction per call
 *   putNodes(db, nodes), deleteNodes(db, ids)                               // one transaction per call
 *   class VaultWriter   // inside a caller's transaction (import batches, the sync store): call flush() last
 *   prepareNewNodes(nodes, at: IndexPosition): PreparedNodes                // before it: rows and segment, for addPrepared
 */
import type { Conversation, MemoryNode } from '../../../shared/model';
import { canonicalJson } from '../../../shared/sync/records';
import {
  appendPreparedSegment,
  appendToSearchIndex,
  nodeToIndexDoc,
  prepareSegment,
  readIndexStats,
  removeFromSearchIndex,
  type IndexDoc,
  type IndexPosition,
  type PreparedSegment,
  type StatsRow,
} from '../search/keyword-index';
import { TitleChanges } from '../search/title-index';
import { toConversationRow, withStorageErrors, type NodeRow, type VaultDatabase } from './database';
import { chunkNumbers, NODE_TABLES, prepareChunks, type NodeDataRow } from './node-store';

/** NODE_TABLES covers the node chunks and the keyword index. */
export const VAULT_WRITE_TABLES = ['conversations', 'conversationRaws', ...NODE_TABLES, 'vectors'] as const;

export function toNodeRow(node: MemoryNode, docId: number): NodeRow {
  return { ...node, docId, isActive: node.active ? 1 : 0 };
}

/**
 * New nodes numbered and indexed before their write transaction (pure CPU): an import builds the next batch's
 * segment while IndexedDB commits the current one. Valid only at the index position it was made for.
 */
export interface PreparedNodes {
  rows: NodeRow[];
  /** The rows as the chunks that store them (db/node-store.ts). */
  chunks: NodeDataRow[];
  segment: PreparedSegment;
}

export function prepareNewNodes(nodes: readonly MemoryNode[], at: IndexPosition): PreparedNodes {
  const rows = nodes.map((node, i) => toNodeRow(node, at.nextDocId + i));
  const chunks = prepareChunks(rows);
  const placed = chunkNumbers(chunks);
  return { rows, chunks, segment: prepareSegment(rows.map((row) => nodeToIndexDoc(row, { chunk: placed.get(row.id) })), at) };
}

export function fromNodeRow(row: NodeRow): MemoryNode {
  const { docId: _docId, isActive: _isActive, ...node } = row;
  return node;
}

/**
 * Node writes within one transaction. Index entries are gathered and written as ONE segment by `flush` (a segment
 * per node would make a pull of thousands of nodes thousands of index segments). New nodes are gathered too, and
 * written by `flush` as chunks (db/node-store.ts: a pull puts its nodes one by one, and would otherwise write a
 * chunk per node); read a node through `get` and `nodeIdsOf` to see them before. Replaced nodes are rewritten
 * in their chunks at once.
 */
export class VaultWriter {
  private nextDocId: number | null = null;
  private readonly added = new Map<number, IndexDoc>();
  private readonly removed: number[] = [];
  /** New nodes (not stored before this writer), by id: written as chunks by `flush`. */
  private readonly fresh = new Map<string, NodeRow>();
  /** Title changes (conversations written or deleted, renames), written to the title log by `flush`. */
  readonly titles = new TitleChanges();

  constructor(private readonly db: VaultDatabase) {}

  /**
   * The first of `count` new docIds. One await per call, never one per node: Dexie keeps its transaction across
   * only a bounded number of plain promise hops, and a long chain of them ends outside it (PrematureCommitError).
   */
  private async reserveDocIds(count: number): Promise<number> {
    this.nextDocId ??= (await readIndexStats(this.db.searchIndex)).nextDocId;
    const first = this.nextDocId;
    this.nextDocId += count;
    return first;
  }

  /** Adds nodes the caller knows are not stored yet (import checked them); the primary key refuses a duplicate. */
  async addNew(nodes: readonly MemoryNode[]): Promise<void> {
    if (nodes.length === 0) return;
    const first = await this.reserveDocIds(nodes.length);
    const rows = nodes.map((node, i) => toNodeRow(node, first + i));
    const placed = await this.db.nodes.add(rows);
    for (const row of rows) this.added.set(row.docId, nodeToIndexDoc(row, { chunk: placed.get(row.id) }));
  }

  /**
   * Adds prepared nodes (not stored yet) with their prepared segment, when they are this writer's first change
   * and the index (`stats`, read in this transaction) is still at the position they were prepared for. Issues
   * both writes at once and returns their promise; returns null, writing nothing, otherwise (the caller then
   * adds them with `addNew`).
   */
  addPrepared(prepared: PreparedNodes, stats: StatsRow): Promise<StatsRow> | null {
    if (prepared.rows.length === 0) return Promise.resolve(stats);
    if (this.nextDocId !== null || this.added.size > 0 || this.removed.length > 0) return null;
    const index = appendPreparedSegment(this.db.searchIndex, stats, prepared.segment);
    if (!index) return null;
    this.nextDocId = prepared.segment.maxDocId + 1;
    return Promise.all([index, this.db.nodes.addPrepared(prepared.chunks)]).then(([next]) => next);
  }

  /**
   * Where this transaction found nodes: the chunk number, or null when not stored. A pull reads a chunk of records
   * and then puts them: the second look-up of each node by the `ids` index (a request each) is saved. Nothing else
   * writes nodes inside this transaction, and this writer keeps it current.
   */
  private readonly where = new Map<string, number | null>();

  /** The chunks `ids` were found in by `getMany` (those stored). */
  private located(ids: readonly string[]): Map<string, number> {
    const located = new Map<string, number>();
    for (const id of ids) {
      const chunk = this.where.get(id);
      if (chunk !== undefined && chunk !== null) located.set(id, chunk);
    }
    return located;
  }

  /** A node as this transaction sees it: one this writer is about to store, else the stored one. */
  async get(id: string): Promise<NodeRow | undefined> {
    return (await this.getMany([id]))[0];
  }

  /**
   * Nodes as this transaction sees them (see `get`), all at once. Those it has not met yet are read with the chunk
   * each was found in (NodeStore.readMany: by the keyword index's records for a push's batch of hundreds), which the
   * writer remembers for its puts.
   */
  async getMany(ids: readonly string[]): Promise<(NodeRow | undefined)[]> {
    const unique = [...new Set(ids)];
    const unknown = unique.filter((id) => !this.where.has(id));
    const found = new Map<string, NodeRow>();
    if (unknown.length > 0) {
      const read = await this.db.nodes.readMany(unknown);
      unknown.forEach((id, i) => {
        this.where.set(id, read.places.get(id) ?? null);
        const row = read.rows[i];
        if (row) found.set(id, row);
      });
    }
    const met = new Set(unknown);
    const located = this.located(unique.filter((id) => !met.has(id)));
    if (located.size > 0) {
      const known = [...located.keys()];
      const rows = await this.db.nodes.bulkGet(known, located);
      known.forEach((id, i) => {
        const row = rows[i];
        if (row) found.set(id, row);
      });
    }
    return ids.map((id) => this.fresh.get(id) ?? found.get(id));
  }

  /** Adds or replaces nodes; a replaced node is indexed again under a new docId. Returns how many rows changed. */
  async put(nodes: readonly MemoryNode[]): Promise<number> {
    const ids = nodes.map((n) => n.id);
    const stored = await this.getMany(ids);
    const located = this.located(ids);
    const changed = nodes.filter((node, i) => {
      const old = stored[i];
      if (old && canonicalJson(fromNodeRow(old)) === canonicalJson(node)) return false;
      if (old) this.forget(old.docId);
      return true;
    });
    if (changed.length === 0) return 0;
    const first = await this.reserveDocIds(changed.length);
    const rows = changed.map((node, i) => toNodeRow(node, first + i));
    const inPlace = rows.filter((row) => located.has(row.id));
    for (const row of rows) if (!located.has(row.id)) this.fresh.set(row.id, row);
    await this.db.nodes.put(inPlace, located);
    // A replaced node keeps its chunk; a new one gets its chunk number when `flush` writes it.
    for (const row of rows) this.added.set(row.docId, nodeToIndexDoc(row, { chunk: located.get(row.id) }));
    return rows.length;
  }

  /** Deletes nodes with their index entries and their vectors of every model. Returns how many existed. */
  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db.nodes.delete(ids);
    for (const id of ids) this.where.set(id, null);
    for (const id of ids) {
      const row = this.fresh.get(id);
      if (!row) continue;
      this.fresh.delete(id);
      rows.push(row);
    }
    for (const row of rows) this.forget(row.docId);
    await this.deleteVectors(new Set(rows.map((row) => row.id)));
    return rows.length;
  }

  async putConversations(conversations: readonly Conversation[]): Promise<void> {
    const split = conversations.map(toConversationRow);
    await this.db.conversations.bulkPut(split.map((c) => c.row));
    await this.db.conversationRaws.bulkPut(split.map((c) => c.raw));
    for (const c of conversations) this.titles.imported(c.id, c.title);
  }

  /** Deletes conversations and every node of them. */
  async deleteConversations(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.delete(await this.nodeIdsOf(id));
    await this.db.conversations.bulkDelete([...ids]);
    await this.db.conversationRaws.bulkDelete([...ids]);
    for (const id of ids) this.titles.deleted(id);
  }

  /** The ids of a conversation's nodes, stored or about to be. */
  async nodeIdsOf(conversationId: string): Promise<string[]> {
    const ids = await this.db.nodes.idsOfConversation(conversationId);
    for (const row of this.fresh.values()) if (row.conversationId === conversationId && !ids.includes(row.id)) ids.push(row.id);
    return ids;
  }

  /** Writes the new nodes and the index changes gathered so far; call it last, inside the same transaction. */
  async flush(): Promise<void> {
    if (this.fresh.size > 0) {
      // By conversation, so that reading one touches few chunks (a chunk's number is its first node's docId).
      const rows = [...this.fresh.values()].sort((x, y) => (x.conversationId < y.conversationId ? -1 : x.conversationId > y.conversationId ? 1 : x.ordinal - y.ordinal));
      this.fresh.clear();
      const placed = await this.db.nodes.add(rows);
      for (const row of rows) {
        const doc = this.added.get(row.docId);
        if (doc) doc.chunk = placed.get(row.id) ?? 0;
      }
    }
    await this.titles.flush(this.db.searchIndex);
    if (this.removed.length > 0) await removeFromSearchIndex(this.db.searchIndex, this.removed.splice(0));
    if (this.added.size === 0) return;
    const docs = [...this.added.values()].sort((x, y) => x.docId - y.docId);
    this.added.clear();
    await appendToSearchIndex(this.db.searchIndex, await readIndexStats(this.db.searchIndex), docs);
  }

  private forget(docId: number): void {
    // A node added and removed in the same transaction never reaches the index.
    if (!this.added.delete(docId)) this.removed.push(docId);
  }

  private async deleteVectors(ids: ReadonlySet<string>): Promise<void> {
    if (ids.size === 0) return;
    const blocks = await this.db.vectors.where('nodeIds').anyOf([...ids]).distinct().toArray();
    for (const block of blocks) {
      const keep = block.nodeIds.flatMap((id, i) => (ids.has(id) ? [] : [i]));
      if (keep.length === 0) {
        if (block.id !== undefined) await this.db.vectors.delete(block.id);
        continue;
      }
      const width = block.dim * (block.dtype === 'float32' ? 4 : 1);
      const source = new Uint8Array(block.data);
      const data = new Uint8Array(keep.length * width);
      keep.forEach((row, i) => data.set(source.subarray(row * width, (row + 1) * width), i * width));
      const scales = block.scales ? Float32Array.from(keep, (row) => block.scales?.[row] ?? 0) : null;
      await this.db.vectors.put({ ...block, nodeIds: keep.map((row) => block.nodeIds[row] ?? ''), data: data.buffer, scales });
    }
  }
}

/** Runs `work` in one read-write transaction over the vault tables and writes its index changes before commit. */
export async function writeVault<T>(db: VaultDatabase, work: (writer: VaultWriter) => Promise<T>): Promise<T> {
  return withStorageErrors(() =>
    db.transaction('rw', [...VAULT_WRITE_TABLES], async () => {
      const writer = new VaultWriter(db);
      const result = await work(writer);
      await writer.flush();
      return result;
    }),
  );
}

export async function putNodes(db: VaultDatabase, nodes: readonly MemoryNode[]): Promise<number> {
  return writeVault(db, (writer) => writer.put(nodes));
}

export async function deleteNodes(db: VaultDatabase, ids: readonly string[]): Promise<number> {
  return writeVault(db, (writer) => writer.delete(ids));
}

export async function putConversations(db: VaultDatabase, conversations: readonly Conversation[]): Promise<void> {
  await writeVault(db, (writer) => writer.putConversations(conversations));
}

export async function deleteConversations(db: VaultDatabase, ids: readonly string[]): Promise<void> {
  await writeVault(db, (writer) => writer.deleteConversations(ids));
}
